/**
 * The audio the caller has received but not yet played, and where playback
 * stands on the server's output stream axis. Pure (no Web Audio), so the
 * playback worklet stays a thin shell and this is tested in Node.
 *
 * Axis: each server frame starts where the frames received before it end
 * (the server's `output_ms`). Frames dropped by a clear keep their place on
 * the axis; they are skipped, never counted as played.
 */

interface Chunk {
  /** Samples at the playback (AudioContext) rate. */
  samples: Float32Array;
  /** Position of the chunk on the output stream axis, ms. */
  startMs: number;
  durationMs: number;
  /** Samples already played. */
  read: number;
}

export interface Dropped {
  frames: number;
  ms: number;
}

export class PlaybackQueue {
  private chunks: Chunk[] = [];
  /** Output stream position of the next sample to play, ms. */
  positionMs = 0;
  framesPlayed = 0;
  framesDropped = 0;

  /** Queues one server frame (already at the playback rate). */
  push(samples: Float32Array, startMs: number, durationMs: number): void {
    this.chunks.push({ samples, startMs, durationMs, read: 0 });
  }

  /** Fills `out` with queued audio, then silence; returns how many samples were audio. */
  render(out: Float32Array): number {
    let written = 0;
    while (written < out.length && this.chunks.length > 0) {
      const chunk = this.chunks[0];
      const n = Math.min(out.length - written, chunk.samples.length - chunk.read);
      out.set(chunk.samples.subarray(chunk.read, chunk.read + n), written);
      chunk.read += n;
      written += n;
      if (chunk.read >= chunk.samples.length) {
        this.chunks.shift();
        this.framesPlayed++;
        this.positionMs = chunk.startMs + chunk.durationMs;
      } else {
        this.positionMs = chunk.startMs + (chunk.durationMs * chunk.read) / chunk.samples.length;
      }
    }
    out.fill(0, written);
    return written;
  }

  /** Drops everything not yet played (a partly played frame included); the position stays where playback stopped. */
  clear(): Dropped {
    const dropped = { frames: this.chunks.length, ms: this.queuedMs };
    this.framesDropped += dropped.frames;
    this.chunks = [];
    return dropped;
  }

  get playing(): boolean {
    return this.chunks.length > 0;
  }

  /** Unplayed audio held, ms. */
  get queuedMs(): number {
    let ms = 0;
    for (const c of this.chunks) ms += c.durationMs * (1 - c.read / Math.max(1, c.samples.length));
    return ms;
  }
}
