/**
 * What a caller's loudspeaker does with the system's audio: a FIFO that is
 * drained 20 ms per caller tick (so the played audio is time-aligned with
 * what the caller sends), dropped on `audio.clear`, and that knows how far
 * into the output stream playback has got (for `playback {position_ms}`).
 */
export class PlaybackBuffer {
  private chunks: Float32Array[] = [];
  private head = 0;
  private queued = 0;
  private received = 0;
  private silentRun = Infinity;

  constructor(
    readonly sampleRate: number,
    /** A pulled frame louder than this RMS counts as audible (for `system.audio`). Default -50 dBFS. */
    readonly audibleRms = 10 ** (-50 / 20),
    /** Silence needed before audio counts as a new onset, ms. Default 300. */
    readonly onsetSilenceMs = 300,
  ) {}

  push(samples: Float32Array): void {
    if (samples.length === 0) return;
    this.chunks.push(samples);
    this.queued += samples.length;
    this.received += samples.length;
  }

  /** Samples waiting to be played. */
  get queuedSamples(): number {
    return this.queued;
  }

  /** Output stream position of the next sample to play, ms (received minus queued: dropped audio counts as passed). */
  get positionMs(): number {
    return ((this.received - this.queued) * 1000) / this.sampleRate;
  }

  /** Drops everything queued; returns how many samples were dropped. */
  clear(): number {
    const dropped = this.queued;
    this.chunks = [];
    this.head = 0;
    this.queued = 0;
    return dropped;
  }

  /**
   * Plays the next n samples (zeros where the queue runs dry). `onset` is
   * true when this frame is audible after at least onsetSilenceMs of silence.
   */
  pull(n: number): { samples: Float32Array; onset: boolean } {
    const out = new Float32Array(n);
    let filled = 0;
    while (filled < n && this.chunks.length > 0) {
      const chunk = this.chunks[0];
      const take = Math.min(n - filled, chunk.length - this.head);
      out.set(chunk.subarray(this.head, this.head + take), filled);
      filled += take;
      this.head += take;
      this.queued -= take;
      if (this.head >= chunk.length) {
        this.chunks.shift();
        this.head = 0;
      }
    }
    let sum = 0;
    for (let i = 0; i < n; i++) sum += out[i] * out[i];
    const audible = Math.sqrt(sum / n) > this.audibleRms;
    const onset = audible && (this.silentRun * 1000) / this.sampleRate >= this.onsetSilenceMs;
    this.silentRun = audible ? 0 : this.silentRun + n;
    return { samples: out, onset };
  }
}
