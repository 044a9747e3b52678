/**
 * The linear echo canceller: a partitioned-block frequency-domain adaptive filter (PBFDAF,
 * overlap-save, constrained gradient), the standard structure of speakerphone echo cancellers
 * (Soo and Pang 1990; the one in Speex and WebRTC's AEC descends from it). It learns the echo
 * path from the reference (what banter played) to the microphone and subtracts its estimate.
 *
 * Blocks of B samples; the filter spans P partitions of B (P * B samples of echo path after
 * the bulk delay the delay estimator removes). Each bin's step is normalised by the
 * reference's smoothed power there. Two filters keep double talk (the caller over banter) out
 * of the output: see process().
 *
 * Why not a library: no maintained JavaScript/WASM echo canceller is on the npm registry
 * (speexdsp's AEC has no published WASM build there); this is ~150 lines over fft.js, tested
 * against known echo paths in fdaf.test.ts.
 */
import FFT from 'fft.js';

export interface FdafOptions {
  /** Block size, samples (a power of two). 256 = 16 ms at 16 kHz. */
  blockSize: number;
  /** Partitions: the filter covers partitions * blockSize samples of echo path. */
  partitions: number;
  /** Step size, 0..1. */
  mu: number;
  /** Smoothing of the per-bin reference power, 0..1 (closer to 1: slower). */
  powerSmoothing: number;
}

export const DEFAULT_FDAF: FdafOptions = { blockSize: 256, partitions: 16, mu: 0.5, powerSmoothing: 0.9 };

/** Fills bins N/2+1..N-1 of an interleaved spectrum with the conjugates of bins N/2-1..1. */
function mirror(z: Float64Array, N: number): void {
  for (let j = 1; j < N / 2; j++) {
    z[2 * (N - j)] = z[2 * j];
    z[2 * (N - j) + 1] = -z[2 * j + 1];
  }
}

export class Fdaf {
  readonly o: FdafOptions;
  private readonly N: number;
  private readonly fft: FFT;
  /** Reference spectra of the last P blocks (each the FFT of 2B samples), newest first. */
  private readonly X: Float64Array[];
  /** The background filter: adapts on every block, whatever the microphone holds. */
  private readonly W: Float64Array[];
  /** The foreground filter: what the output uses; the background's weights, copied in while they do better. */
  private readonly F: Float64Array[];
  private readonly power: Float64Array;
  private readonly prevRef: Float64Array;
  private readonly scratchIn: Float64Array;
  private readonly scratchOut: Float64Array;
  private readonly spec: Float64Array;
  private readonly time: Float64Array;
  private blocks = 0;
  /** Smoothed error energies of the two filters. */
  private errB = 0;
  private errF = 0;
  /** Echo estimate of the last block (the foreground's). */
  readonly echo: Float32Array;
  /** Per-block buffers (B samples): the two filters' echo estimates and the background's error. */
  private readonly yB: Float64Array;
  private readonly yF: Float64Array;
  private readonly errBg: Float32Array;

  constructor(options: Partial<FdafOptions> = {}) {
    this.o = { ...DEFAULT_FDAF, ...options };
    const B = this.o.blockSize;
    if (B & (B - 1)) throw new Error('blockSize must be a power of two');
    this.N = 2 * B;
    this.fft = new FFT(this.N);
    const spectra = () => Array.from({ length: this.o.partitions }, () => new Float64Array(2 * this.N));
    this.X = spectra();
    this.W = spectra();
    this.F = spectra();
    this.power = new Float64Array(this.N).fill(1e-6);
    this.prevRef = new Float64Array(B);
    this.scratchIn = new Float64Array(this.N);
    this.scratchOut = new Float64Array(2 * this.N);
    this.spec = new Float64Array(2 * this.N);
    this.time = new Float64Array(2 * this.N);
    this.echo = new Float32Array(B);
    this.yB = new Float64Array(B);
    this.yF = new Float64Array(B);
    this.errBg = new Float32Array(B);
  }

  /** The echo estimate of weights `w` for the current block, into `out` (B samples). */
  private estimate(w: Float64Array[], out: Float64Array): void {
    const N = this.N;
    const Y = this.spec;
    Y.fill(0);
    // Real signals: bins above N/2 are the conjugates of those below, so only half are computed.
    const half = N + 2; // bins 0..N/2, interleaved re/im
    for (let k = 0; k < this.o.partitions; k++) {
      const wk = w[k];
      const x = this.X[k];
      for (let j = 0; j < half; j += 2) {
        const xr = x[j];
        const xi = x[j + 1];
        const wr = wk[j];
        const wi = wk[j + 1];
        Y[j] += wr * xr - wi * xi;
        Y[j + 1] += wr * xi + wi * xr;
      }
    }
    mirror(Y, N);
    this.fft.inverseTransform(this.scratchOut, Y);
    const B = this.o.blockSize;
    for (let i = 0; i < B; i++) out[i] = this.scratchOut[2 * (B + i)];
  }

  /**
   * One block: `ref` and `mic` of blockSize samples (ref already delayed to line up with the
   * echo, up to the filter's span); returns the microphone with the echo estimate subtracted.
   */
  process(ref: Float32Array, mic: Float32Array): Float32Array {
    const B = this.o.blockSize;
    // Newest reference spectrum from the last 2B samples.
    const oldest = this.X.pop()!;
    for (let i = 0; i < B; i++) {
      this.scratchIn[i] = this.prevRef[i];
      this.scratchIn[B + i] = ref[i];
      this.prevRef[i] = ref[i];
    }
    this.fft.realTransform(oldest, this.scratchIn);
    this.fft.completeSpectrum(oldest);
    this.X.unshift(oldest);
    this.estimate(this.W, this.yB);
    this.estimate(this.F, this.yF);
    const errBg = this.errBg;
    const out = new Float32Array(B);
    let eB = 0;
    let eF = 0;
    for (let i = 0; i < B; i++) {
      errBg[i] = mic[i] - this.yB[i];
      out[i] = mic[i] - this.yF[i];
      this.echo[i] = this.yF[i];
      eB += errBg[i] * errBg[i];
      eF += out[i] * out[i];
    }
    // The two-filter scheme (as in Speex's MDF): the background adapts freely and may learn the
    // caller's voice during double talk; the foreground takes its weights only while they
    // cancel better, so double talk never reaches the output's filter.
    const s = 0.7;
    this.errB = s * this.errB + (1 - s) * eB;
    this.errF = s * this.errF + (1 - s) * eF;
    if (this.errB < 0.5 * this.errF && eB < eF) {
      for (let k = 0; k < this.o.partitions; k++) this.F[k].set(this.W[k]);
      this.errF = this.errB;
    } else if (this.errB > 8 * this.errF + 1e-9) {
      // The background has run off (it learned double talk): back to the foreground.
      for (let k = 0; k < this.o.partitions; k++) this.W[k].set(this.F[k]);
      this.errB = this.errF;
    }
    this.adapt(errBg);
    this.blocks++;
    return out;
  }

  private adapt(err: Float32Array): void {
    const B = this.o.blockSize;
    const N = this.N;
    const a = this.o.powerSmoothing;
    const x0 = this.X[0];
    for (let j = 0; j <= N / 2; j++) {
      const p = x0[2 * j] * x0[2 * j] + x0[2 * j + 1] * x0[2 * j + 1];
      this.power[j] = a * this.power[j] + (1 - a) * p;
    }
    // E = FFT([0 (B), e (B)])
    for (let i = 0; i < B; i++) {
      this.scratchIn[i] = 0;
      this.scratchIn[B + i] = err[i];
    }
    const E = this.spec;
    this.fft.realTransform(E, this.scratchIn);
    this.fft.completeSpectrum(E);
    let floor = 0;
    for (let j = 0; j <= N / 2; j++) floor += this.power[j];
    floor = (floor / (N / 2 + 1)) * 1e-3 + 1e-10;
    // One partition a block gets the gradient constraint (its impulse response cut to B taps:
    // linear, not circular, convolution), in turn; the others adapt unconstrained. This is the
    // alternately constrained MDF: a P-fold saving on the FFTs for a small loss in convergence.
    const constrained = this.blocks % this.o.partitions;
    for (let k = 0; k < this.o.partitions; k++) {
      const x = this.X[k];
      const w = this.W[k];
      for (let j = 0; j <= N / 2; j++) {
        const norm = this.o.mu / (this.power[j] * this.o.partitions + floor);
        const xr = x[2 * j];
        const xi = -x[2 * j + 1];
        w[2 * j] += (xr * E[2 * j] - xi * E[2 * j + 1]) * norm;
        w[2 * j + 1] += (xr * E[2 * j + 1] + xi * E[2 * j]) * norm;
      }
      mirror(w, N);
      if (k === constrained) {
        this.fft.inverseTransform(this.time, w);
        for (let i = 0; i < B; i++) this.scratchIn[i] = this.time[2 * i];
        for (let i = B; i < N; i++) this.scratchIn[i] = 0;
        this.fft.realTransform(w, this.scratchIn);
        this.fft.completeSpectrum(w);
      }
    }
  }

  reset(): void {
    for (const x of this.X) x.fill(0);
    for (const w of this.W) w.fill(0);
    for (const f of this.F) f.fill(0);
    this.power.fill(1e-6);
    this.prevRef.fill(0);
    this.echo.fill(0);
    this.errB = 0;
    this.errF = 0;
    this.blocks = 0;
  }
}
