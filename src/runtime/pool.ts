import { BackendError } from "./errors";
import { kernelNames, type KernelName, type Kernels } from "./kernels";
import type { Runtime } from "./runtime";

/**
 * A pool of worker threads running the same wasm kernels on the runtime's shared
 * WebAssembly.Memory. The calling thread posts one job of `threads` parts (one kernel, one
 * argument list per part), runs part 0 itself and blocks until the workers have finished
 * theirs. Jobs travel through a control block in the shared memory, not through messages:
 * a job costs two futex operations, no copying and no event loop turn.
 *
 * Control block (Int32 words at `control`), then MAX_ARGS f64 arguments per part:
 * ```text
 * [GENERATION]  incremented by the caller once per job; workers wait on it
 * [PENDING]     parts still running; the last worker to finish notifies the caller
 * [KERNEL]      index of the kernel in kernelNames
 * [STOP]        1 when the pool is being shut down
 * [FAILED]      parts whose kernel threw (a trap) in the last job
 * ```
 */
const GENERATION = 0;
const PENDING = 1;
const KERNEL = 2;
const STOP = 3;
const FAILED = 4;
const HEADER_BYTES = 64;
/** The most arguments a pooled kernel takes. */
const MAX_ARGS = 16;

/** Bytes of shared memory the control block of an n-thread pool occupies. */
export function controlBytes(threads: number): number {
  return HEADER_BYTES + threads * MAX_ARGS * 8;
}

/**
 * The worker's program, as source so that it runs in Node (worker_threads, `eval: true`)
 * and browsers (a Blob URL) alike, with no file to ship. It receives the compiled module,
 * the memory and its part index, then serves jobs until STOP.
 */
const WORKER_SOURCE = `
const start = ({ module, memory, control, part, names }) => {
  const kernels = new WebAssembly.Instance(module, { env: { memory } }).exports;
  const words = new Int32Array(memory.buffer, control, ${HEADER_BYTES / 4});
  const args = new Float64Array(memory.buffer, control + ${HEADER_BYTES} + part * ${MAX_ARGS * 8}, ${MAX_ARGS});
  let seen = 0;
  for (;;) {
    Atomics.wait(words, ${GENERATION}, seen);
    seen = Atomics.load(words, ${GENERATION});
    if (Atomics.load(words, ${STOP})) return;
    try {
      kernels[names[Atomics.load(words, ${KERNEL})]](...args);
    } catch {
      Atomics.add(words, ${FAILED}, 1);
    }
    if (Atomics.sub(words, ${PENDING}, 1) === 1) Atomics.notify(words, ${PENDING});
  }
};
const node = typeof process === "object" && typeof process.getBuiltinModule === "function";
if (node) {
  const { workerData, parentPort } = process.getBuiltinModule("worker_threads");
  parentPort.postMessage("ready");
  start(workerData);
} else {
  self.onmessage = (event) => { self.postMessage("ready"); start(event.data); };
}
`;

interface WorkerHandle {
  terminate(): unknown;
}

/** The subset of node:worker_threads this pool uses. */
interface NodeWorkerThreads {
  Worker: new (
    source: string,
    options: { eval: true; workerData: unknown },
  ) => WorkerHandle & { unref(): void; once(event: "message" | "error", fn: (value: unknown) => void): void };
}

function nodeWorkerThreads(): NodeWorkerThreads | null {
  // process.getBuiltinModule (Node >= 20.16) loads a built-in without a static import, so
  // bundles for browsers carry no reference to Node modules.
  const proc = (globalThis as { process?: { getBuiltinModule?: (name: string) => unknown } }).process;
  return (proc?.getBuiltinModule?.("worker_threads") as NodeWorkerThreads | undefined) ?? null;
}

export class ThreadPool {
  private readonly workers: WorkerHandle[] = [];
  private readonly words: Int32Array;
  private readonly canBlock: boolean;
  /** Resolves when every worker has started (browsers start workers only from the event loop). */
  readonly ready: Promise<void>;

  /**
   * Starts `threads - 1` workers (the calling thread is part 0) on `module` over `memory`,
   * with the control block at byte `control` (controlBytes(threads) bytes, reserved by the caller).
   */
  constructor(
    readonly threads: number,
    module: WebAssembly.Module,
    private readonly memory: WebAssembly.Memory,
    private readonly control: number,
    private readonly kernels: Kernels,
  ) {
    if (!(memory.buffer instanceof SharedArrayBuffer)) throw new BackendError("A thread pool needs a shared WebAssembly.Memory");
    this.words = new Int32Array(memory.buffer, control, HEADER_BYTES / 4);
    this.canBlock = canAtomicsWait();
    const node = nodeWorkerThreads();
    const started: Promise<void>[] = [];
    for (let part = 1; part < threads; part++) {
      const data = { module, memory, control, part, names: kernelNames };
      if (node) {
        const worker = new node.Worker(WORKER_SOURCE, { eval: true, workerData: data });
        worker.unref(); // an idle pool never keeps a Node process alive
        started.push(new Promise((resolve, reject) => (worker.once("message", () => resolve()), worker.once("error", reject))));
        this.workers.push(worker);
      } else {
        const url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: "text/javascript" }));
        const worker = new Worker(url);
        started.push(new Promise((resolve, reject) => ((worker.onmessage = () => resolve()), (worker.onerror = reject))));
        worker.postMessage(data);
        this.workers.push(worker);
      }
    }
    this.ready = Promise.all(started).then(() => undefined);
  }

  /**
   * Runs `kernel` once per entry of `parts` (at most `threads` entries, each at most
   * MAX_ARGS numbers): entry 0 on this thread, the others on workers. Returns when all are
   * done. Workers beyond parts.length get nothing to do this job.
   */
  run(kernel: KernelName, parts: number[][]): void {
    if (parts.length > this.threads) throw new BackendError(`${parts.length} parts for ${this.threads} threads`);
    const f64 = new Float64Array(this.memory.buffer, this.control + HEADER_BYTES, this.threads * MAX_ARGS);
    const index = kernelNames.indexOf(kernel);
    // Idle workers run the kernel on an empty problem: every argument 0 is a no-op for gemm.
    for (let part = 1; part < this.threads; part++) {
      const args = parts[part] ?? [];
      if (args.length > MAX_ARGS) throw new BackendError(`${kernel} takes more than ${MAX_ARGS} arguments`);
      f64.fill(0, part * MAX_ARGS, (part + 1) * MAX_ARGS);
      f64.set(args, part * MAX_ARGS);
    }
    const words = this.words;
    Atomics.store(words, KERNEL, index);
    Atomics.store(words, FAILED, 0);
    Atomics.store(words, PENDING, this.threads - 1);
    Atomics.add(words, GENERATION, 1);
    Atomics.notify(words, GENERATION);
    try {
      if (parts[0]) (this.kernels[kernel] as (...args: number[]) => void)(...parts[0]);
    } finally {
      for (let pending; (pending = Atomics.load(words, PENDING)) !== 0; ) {
        if (this.canBlock) Atomics.wait(words, PENDING, pending);
      }
    }
    const failed = Atomics.load(words, FAILED);
    if (failed) throw new BackendError(`${kernel} failed on ${failed} worker thread(s)`);
  }

  /** Stops the workers; calling it again does nothing. */
  terminate(): void {
    if (this.workers.length === 0) return;
    Atomics.store(this.words, STOP, 1);
    Atomics.add(this.words, GENERATION, 1);
    Atomics.notify(this.words, GENERATION);
    for (const worker of this.workers) void worker.terminate();
    this.workers.length = 0;
  }
}

/** Atomics.wait throws on browser main threads; there the caller spins instead. */
function canAtomicsWait(): boolean {
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
    return true;
  } catch {
    return false;
  }
}

const pools = new WeakMap<Runtime, ThreadPool>();

/** Stops the pool of a runtime that was dropped without dispose(): its workers would live on. */
const stopWhenCollected = new FinalizationRegistry<ThreadPool>((pool) => pool.terminate());

/**
 * Associates a pool with the runtime whose memory it shares (called by init). The pool stops
 * when the runtime is disposed, or collected.
 */
export function attachPool(rt: Runtime, pool: ThreadPool): void {
  pools.set(rt, pool);
  stopWhenCollected.register(rt, pool, pool);
  rt.whenDisposed(() => {
    stopWhenCollected.unregister(pool);
    pools.delete(rt);
    pool.terminate();
  });
}

/** The worker pool of a runtime created with `threads > 1`, or null. */
export function poolOf(rt: Runtime): ThreadPool | null {
  return pools.get(rt) ?? null;
}

/** How many threads run a runtime's kernels (1 unless it was created with `threads`). */
export function threadCount(rt: Runtime): number {
  return poolOf(rt)?.threads ?? 1;
}
