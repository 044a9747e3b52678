/** Cuts a stream of arbitrary-length chunks into fixed-size frames, keeping the remainder. */
export class Framer {
  private pending: Float32Array;
  private filled = 0;

  constructor(readonly frameSamples: number) {
    this.pending = new Float32Array(frameSamples);
  }

  /** Whole frames completed by this chunk (fresh arrays the caller may keep). */
  push(chunk: Float32Array): Float32Array[] {
    const frames: Float32Array[] = [];
    let offset = 0;
    while (offset < chunk.length) {
      const n = Math.min(this.frameSamples - this.filled, chunk.length - offset);
      this.pending.set(chunk.subarray(offset, offset + n), this.filled);
      this.filled += n;
      offset += n;
      if (this.filled === this.frameSamples) {
        frames.push(this.pending);
        this.pending = new Float32Array(this.frameSamples);
        this.filled = 0;
      }
    }
    return frames;
  }

  /** Samples waiting for the next frame. */
  get buffered(): number {
    return this.filled;
  }

  /** The partial frame, zero-padded, or null when empty. */
  flush(): Float32Array | null {
    if (this.filled === 0) return null;
    const frame = this.pending;
    this.pending = new Float32Array(this.frameSamples);
    this.filled = 0;
    return frame;
  }

  clear(): void {
    this.pending.fill(0);
    this.filled = 0;
  }
}
