/**
 * Where banter's own voice comes back: the delay between the reference (what banter sent, on
 * the caller's audio clock) and its echo in the microphone, by GCC-PHAT (the cross-power
 * spectrum whitened to unit magnitude, so the peak is sharp for speech and does not follow the
 * loudest frequencies). Estimated over a sliding window every `hopMs`, and tracked: a new
 * estimate replaces the current one only when its peak is clear and it repeats (a path
 * changes rarely; one noisy window should not move it). The signals are decimated by
 * `decimate` first (speech's envelope and low band carry the delay; a quarter of the FFT work).
 * Pure: no model, no I/O.
 */
import FFT from 'fft.js';

export interface DelayEstimatorOptions {
  sampleRate: number;
  /** Longest delay looked for, ms. */
  maxDelayMs: number;
  /** Analysis window, ms (rounded up so the FFT is a power of two). */
  windowMs: number;
  /** How often an estimate is made, ms. */
  hopMs: number;
  /** Peak over the mean of |correlation| needed to believe an estimate. */
  minPeakRatio: number;
  /** Reference power (mean square) below which a window says nothing (banter silent). */
  minReferencePower: number;
  /** Analyse at sampleRate / decimate (2: 8 kHz; the estimate's resolution is decimate samples). */
  decimate: number;
}

export const DEFAULT_DELAY_OPTIONS: DelayEstimatorOptions = {
  sampleRate: 16000,
  maxDelayMs: 500,
  windowMs: 1000,
  hopMs: 500,
  minPeakRatio: 8,
  minReferencePower: 1e-6,
  decimate: 2,
};

export interface DelayEstimate {
  delayMs: number;
  /** Peak / mean |correlation| of the window that gave it. */
  peakRatio: number;
}

export class DelayEstimator {
  private readonly o: DelayEstimatorOptions;
  private readonly n: number;
  private readonly fft: FFT;
  private readonly ref: Float32Array;
  private readonly mic: Float32Array;
  private filled = 0;
  private sinceHop = 0;
  private current: DelayEstimate | null = null;
  private candidate: { delay: number; count: number } | null = null;

  private readonly rate: number;
  private readonly padded: number[];
  private readonly maxLag: number;
  /** The decimation sum in progress (carried between pushes) and the ring's next slot. */
  private accRef = 0;
  private accMic = 0;
  private accN = 0;
  private head = 0;

  constructor(options: Partial<DelayEstimatorOptions> = {}) {
    this.o = { ...DEFAULT_DELAY_OPTIONS, ...options };
    this.rate = this.o.sampleRate / this.o.decimate;
    this.maxLag = Math.round((this.o.maxDelayMs * this.rate) / 1000);
    // The window plus the longest delay is buffered; the FFT adds room for every lag so the
    // circular correlation does not wrap into the lags looked at.
    this.n = Math.ceil(((this.o.windowMs + this.o.maxDelayMs) * this.rate) / 1000);
    this.fft = new FFT(2 ** Math.ceil(Math.log2(this.n + this.maxLag)));
    this.ref = new Float32Array(this.n);
    this.mic = new Float32Array(this.n);
    this.padded = new Array<number>(this.fft.size).fill(0);
  }

  /** The tracked estimate, or null until one is believed. */
  get estimate(): DelayEstimate | null {
    return this.current;
  }

  /** Feeds the next span of both signals (equal lengths); returns the estimate after it. */
  push(reference: Float32Array, mic: Float32Array): DelayEstimate | null {
    const d = this.o.decimate;
    const len = Math.min(reference.length, mic.length);
    // Decimate by averaging d samples (a crude low-pass; GCC-PHAT needs no more) straight into
    // the window, a pair split across pushes carried over.
    for (let i = 0; i < len; i++) {
      this.accRef += reference[i];
      this.accMic += mic[i];
      if (++this.accN < d) continue;
      this.append(this.accRef / d, this.accMic / d);
      this.accRef = 0;
      this.accMic = 0;
      this.accN = 0;
    }
    this.sinceHop += (len * 1000) / this.o.sampleRate;
    if (this.sinceHop >= this.o.hopMs && this.filled >= this.n / 2) {
      this.sinceHop = 0;
      const e = this.measure();
      if (e) this.track(e);
    }
    return this.current;
  }

  /** One decimated sample into the window: a ring, read oldest first by measure(). */
  private append(r: number, m: number): void {
    this.ref[this.head] = r;
    this.mic[this.head] = m;
    this.head = (this.head + 1) % this.n;
    this.filled = Math.min(this.n, this.filled + 1);
  }

  /** One GCC-PHAT estimate over the window, or null when banter was silent or the peak unclear. */
  measure(): DelayEstimate | null {
    let p = 0;
    for (let i = 0; i < this.n; i++) p += this.ref[i] * this.ref[i];
    if (p / this.n < this.o.minReferencePower) return null;
    const size = this.fft.size;
    const pad = (x: Float32Array) => {
      const a = this.padded;
      for (let i = 0; i < this.n; i++) a[i] = x[(this.head + i) % this.n];
      a.fill(0, this.n);
      return a;
    };
    const R = this.fft.createComplexArray() as number[];
    const M = this.fft.createComplexArray() as number[];
    this.fft.realTransform(R, pad(this.ref));
    this.fft.completeSpectrum(R);
    this.fft.realTransform(M, pad(this.mic));
    this.fft.completeSpectrum(M);
    // Cross-power M * conj(R), whitened.
    const C = this.fft.createComplexArray() as number[];
    for (let k = 0; k < size; k++) {
      const ar = M[2 * k];
      const ai = M[2 * k + 1];
      const br = R[2 * k];
      const bi = -R[2 * k + 1];
      const re = ar * br - ai * bi;
      const im = ar * bi + ai * br;
      const mag = Math.hypot(re, im) + 1e-12;
      C[2 * k] = re / mag;
      C[2 * k + 1] = im / mag;
    }
    const corr = this.fft.createComplexArray() as number[];
    this.fft.inverseTransform(corr, C);
    const maxLag = this.maxLag;
    let best = 0;
    let bestLag = 0;
    let sum = 0;
    for (let lag = 0; lag <= maxLag; lag++) {
      const v = Math.abs(corr[2 * lag]);
      sum += v;
      if (v > best) {
        best = v;
        bestLag = lag;
      }
    }
    const ratio = best / (sum / (maxLag + 1) + 1e-12);
    if (ratio < this.o.minPeakRatio) return null;
    return { delayMs: (bestLag * 1000) / this.rate, peakRatio: ratio };
  }

  private track(e: DelayEstimate): void {
    const tolMs = (2 * 1000 * this.o.decimate) / this.o.sampleRate;
    if (this.current && Math.abs(e.delayMs - this.current.delayMs) <= tolMs) {
      this.current = e;
      this.candidate = null;
      return;
    }
    if (this.candidate && Math.abs(this.candidate.delay - e.delayMs) <= tolMs) this.candidate.count++;
    else this.candidate = { delay: e.delayMs, count: 1 };
    // The first estimate is taken at once; a change must repeat.
    if (!this.current || this.candidate.count >= 2) {
      this.current = e;
      this.candidate = null;
    }
  }

  reset(): void {
    this.ref.fill(0);
    this.mic.fill(0);
    this.filled = 0;
    this.sinceHop = 0;
    this.accRef = 0;
    this.accMic = 0;
    this.accN = 0;
    this.head = 0;
    this.current = null;
    this.candidate = null;
  }
}
