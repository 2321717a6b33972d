/**
 * Typed views over one WebAssembly.Memory, rebuilt whenever the memory has grown.
 * After `memory.grow` every view over the old buffer is detached (length 0, writes
 * silently lost), so nothing may hold a view across a call that can allocate: read
 * `heap.f32` again instead. Creating a view costs tens of nanoseconds, so they are
 * cached per buffer.
 */
export class Heap {
  private cachedBuffer: ArrayBufferLike | null = null;
  private views!: {
    u8: Uint8Array;
    i32: Int32Array;
    u32: Uint32Array;
    f32: Float32Array;
    f64: Float64Array;
  };

  constructor(readonly memory: WebAssembly.Memory) {}

  /** The current backing buffer; a new object after each growth. */
  get buffer(): ArrayBufferLike {
    return this.memory.buffer;
  }

  get u8(): Uint8Array {
    return this.current().u8;
  }
  get i32(): Int32Array {
    return this.current().i32;
  }
  get u32(): Uint32Array {
    return this.current().u32;
  }
  get f32(): Float32Array {
    return this.current().f32;
  }
  get f64(): Float64Array {
    return this.current().f64;
  }

  private current() {
    const buffer = this.memory.buffer;
    if (buffer !== this.cachedBuffer) {
      this.cachedBuffer = buffer;
      this.views = {
        u8: new Uint8Array(buffer),
        i32: new Int32Array(buffer),
        u32: new Uint32Array(buffer),
        f32: new Float32Array(buffer),
        f64: new Float64Array(buffer),
      };
    }
    return this.views;
  }
}
