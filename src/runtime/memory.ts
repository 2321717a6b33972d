import { DisposedError, OutOfMemoryError } from "./errors";

/** Bytes in one WebAssembly page. */
export const PAGE_BYTES = 65536;

/** Every block starts on a 16-byte boundary, so v128 loads and stores are aligned. */
export const ALIGN = 16;

/** The largest linear memory wasm32 can address: 65536 pages = 4 GiB. */
export const MAX_MEMORY_BYTES = 65536 * PAGE_BYTES;

interface FreeBlock {
  ptr: number;
  size: number;
}

const alignUp = (bytes: number, to: number) => Math.ceil(bytes / to) * to;

/**
 * A first-fit allocator over the linear memory above `base`. Freed blocks go to an
 * address-ordered free list where neighbours coalesce; a free block that touches the
 * top of the heap is handed back to the bump pointer. Sizes live in a side table, so
 * blocks carry no header and the memory holds only user data.
 */
export class Allocator {
  private top: number;
  private readonly freeList: FreeBlock[] = [];
  private readonly sizes = new Map<number, number>();
  private live = 0;
  private peak = 0;

  constructor(
    private readonly memory: WebAssembly.Memory,
    readonly base: number,
    readonly maxBytes: number,
  ) {
    this.top = alignUp(base, ALIGN);
  }

  /** Returns the address of a new 16-byte aligned block of at least `bytes` bytes. */
  alloc(bytes: number): number {
    const size = alignUp(Math.max(bytes, 1), ALIGN);
    const ptr = this.takeFree(size) ?? this.bump(size);
    this.sizes.set(ptr, size);
    this.live += size;
    this.peak = Math.max(this.peak, this.live);
    return ptr;
  }

  /** Returns the block at `ptr` to the free list. */
  free(ptr: number): void {
    const size = this.sizes.get(ptr);
    if (size === undefined) throw new DisposedError(`Block at ${ptr} is not allocated (double free?)`);
    this.sizes.delete(ptr);
    this.live -= size;
    this.insertFree(ptr, size);
  }

  /** Bytes in live blocks, the most ever live, and the memory's current size. */
  stats(): { liveBytes: number; peakBytes: number; liveBlocks: number; capacityBytes: number; freeBlocks: number } {
    return {
      liveBytes: this.live,
      peakBytes: this.peak,
      liveBlocks: this.sizes.size,
      capacityBytes: this.memory.buffer.byteLength,
      freeBlocks: this.freeList.length,
    };
  }

  private takeFree(size: number): number | undefined {
    const index = this.freeList.findIndex((block) => block.size >= size);
    if (index < 0) return undefined;
    const block = this.freeList[index]!;
    const ptr = block.ptr;
    if (block.size === size) this.freeList.splice(index, 1);
    else {
      block.ptr += size;
      block.size -= size;
    }
    return ptr;
  }

  private bump(size: number): number {
    const ptr = this.top;
    this.ensureCapacity(ptr + size);
    this.top = ptr + size;
    return ptr;
  }

  /** Grows the memory geometrically (x1.5) so n allocations cost O(log n) grows. */
  private ensureCapacity(end: number): void {
    const have = this.memory.buffer.byteLength;
    if (end <= have) return;
    if (end > this.maxBytes) {
      throw new OutOfMemoryError(
        `Cannot allocate: the heap would need ${end} bytes, above the maximum of ${this.maxBytes} bytes`,
      );
    }
    const target = Math.min(this.maxBytes, Math.max(end, Math.floor(have * 1.5)));
    const pages = Math.ceil((target - have) / PAGE_BYTES);
    try {
      this.memory.grow(pages);
    } catch (cause) {
      throw new OutOfMemoryError(`The engine refused to grow the memory to ${have + pages * PAGE_BYTES} bytes (${String(cause)})`);
    }
  }

  private insertFree(ptr: number, size: number): void {
    const list = this.freeList;
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (list[mid]!.ptr < ptr) lo = mid + 1;
      else hi = mid;
    }
    let block: FreeBlock = { ptr, size };
    const before = list[lo - 1];
    if (before && before.ptr + before.size === ptr) {
      before.size += size;
      block = before;
      lo -= 1;
    } else {
      list.splice(lo, 0, block);
    }
    const after = list[lo + 1];
    if (after && block.ptr + block.size === after.ptr) {
      block.size += after.size;
      list.splice(lo + 1, 1);
    }
    if (block.ptr + block.size === this.top) {
      this.top = block.ptr;
      list.splice(lo, 1);
    }
  }
}
