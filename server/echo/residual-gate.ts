/**
 * The non-linear stage after the linear canceller (an AEC's "NLP"): block by block, how much
 * of what is left in the microphone is banter's echo, and a gain that silences what is. A
 * linear filter leaves 10-25 dB of residual echo (more before it converges, and on a
 * clipping loudspeaker or a mu-law line it cannot model), and a speech VAD hears a -45 dBFS
 * echo as speech: without this, banter would still interrupt itself.
 *
 * The expected residual of a block is modelled from the reference, not from the filter, so it
 * holds from the call's first block, before the filter has learned anything:
 *
 *   expected = coupling * ringing,   coupling ~ a low percentile of errPower / ringing
 *
 * where `ringing` is the reference's peak block energy over the last tailBlocks (the echo of a
 * block arrives over the room's tail, and before the delay is known, up to 384 ms late)
 *
 * over the last few seconds of blocks where banter spoke (a low percentile, because the
 * caller speaking over banter in some of those blocks must not count as echo). A block whose
 * residual is not above `marginDb` of the expected one is banter's own voice and is muted
 * (soft gain: the excess over the expected echo, as a power ratio). Blocks where banter is
 * silent pass untouched. Pure: numbers in, gains out.
 */

export interface ResidualGateOptions {
  /** How far above the expected residual echo a block must be to be the caller's, dB. */
  marginDb: number;
  /** Reference energy (mean square per sample) below which banter is silent: the gate opens. */
  minReferencePower: number;
  /** Blocks of history for the coupling estimate (256-sample blocks: 188 = 3 s). */
  historyBlocks: number;
  /** The percentile of errPower / refPower taken as the coupling, 0-100. */
  percentile: number;
  /** The echo tail: blocks after banter falls silent that still count as echo (reverberation). */
  tailBlocks: number;
}

export const DEFAULT_RESIDUAL_GATE: ResidualGateOptions = {
  marginDb: 10,
  minReferencePower: 1e-7,
  historyBlocks: 188,
  percentile: 40,
  tailBlocks: 24,
};

export class ResidualGate {
  readonly o: ResidualGateOptions;
  private readonly ratios: number[] = [];
  private refHistory: number[] = [];
  private coupling = 1;
  private sinceRef = Infinity;
  /** The gain of the last block (1 = passed, 0 = muted). */
  gain = 1;

  constructor(options: Partial<ResidualGateOptions> = {}) {
    this.o = { ...DEFAULT_RESIDUAL_GATE, ...options };
  }

  /**
   * The gain for one block: `err` the canceller's output, `ref` the aligned reference power
   * source (the same span, delayed to the echo). Returns the gain applied to `err` (in place).
   */
  apply(err: Float32Array, ref: Float32Array): number {
    let e = 0;
    let r = 0;
    for (let i = 0; i < err.length; i++) {
      e += err[i] * err[i];
      r += ref[i] * ref[i];
    }
    e /= err.length;
    r /= ref.length;
    // The echo of a block arrives over the room's tail: the reference's recent peak energy
    // stands for what is still ringing.
    this.refHistory.push(r);
    if (this.refHistory.length > this.o.tailBlocks) this.refHistory.shift();
    const ringing = Math.max(...this.refHistory);
    if (r >= this.o.minReferencePower) {
      this.sinceRef = 0;
      this.ratios.push(e / ringing);
      if (this.ratios.length > this.o.historyBlocks) this.ratios.shift();
      const sorted = [...this.ratios].sort((a, b) => a - b);
      this.coupling = sorted[Math.floor((sorted.length - 1) * (this.o.percentile / 100))];
    } else this.sinceRef++;
    if (this.sinceRef > this.o.tailBlocks || ringing < this.o.minReferencePower) {
      this.gain = 1;
      return 1;
    }
    const expected = this.coupling * ringing * 10 ** (this.o.marginDb / 10);
    this.gain = e > expected ? Math.min(1, (e - expected) / e) : 0;
    if (this.gain < 1) for (let i = 0; i < err.length; i++) err[i] *= this.gain;
    return this.gain;
  }

  reset(): void {
    this.ratios.length = 0;
    this.refHistory = [];
    this.coupling = 1;
    this.sinceRef = Infinity;
    this.gain = 1;
  }
}
