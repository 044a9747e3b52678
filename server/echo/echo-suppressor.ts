/**
 * The echo suppressor's seam (the stage arrives with the echo issue): the caller's microphone
 * carries banter's own voice back; with what banter played as the reference, the suppressor
 * removes it before the VAD hears it, so banter never interrupts itself.
 */

export interface EchoSuppressorStream {
  /**
   * One microphone frame and the reference (what banter played over the same span, aligned by
   * the estimated delay), both at the pipeline rate; returns the cleaned frame.
   */
  process(mic: Float32Array, reference: Float32Array): Float32Array;
  /** Current estimate of the echo path's delay, ms. */
  readonly delayMs: number;
  reset(): void;
}

export interface EchoSuppressor {
  readonly label: string;
  createStream(): EchoSuppressorStream;
}
