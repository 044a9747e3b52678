/**
 * Kaldi-compatible log mel filterbank features, streaming: samples in, 80-dim frames out as
 * soon as each window is complete. It computes what torchaudio.compliance.kaldi.fbank computes
 * with its defaults (snip_edges, Povey window, DC removal, pre-emphasis 0.97, power spectrum,
 * no dither), which is the frontend the ASR and speaker models are trained on and the one
 * WeSpeaker / 3D-Speaker models expect; models/training/lib/fbank_reference.py checks parity.
 */
import FFT from 'fft.js';
import { PIPELINE_SAMPLE_RATE } from '../rates.ts';

export interface FbankOptions {
  /** Mel bins per frame. Default 80. */
  numMelBins: number;
  /** Window length, ms. Default 25. */
  frameLengthMs: number;
  /** Hop between frames, ms. Default 10. */
  frameShiftMs: number;
  /** Lowest mel band edge, Hz. Default 20. */
  lowFreqHz: number;
  /** Highest mel band edge, Hz; 0 or less counts from the Nyquist frequency (Kaldi's rule). Default 0. */
  highFreqHz: number;
  /** Pre-emphasis coefficient. Default 0.97. */
  preemphasis: number;
  /**
   * Factor applied to float samples in [-1, 1] first. Default 32768: Kaldi-trained models
   * (WeSpeaker among them) see int16-scaled audio, which shifts every log energy by ln(32768^2).
   */
  inputScale: number;
  sampleRate: number;
}

export const defaultFbankOptions = {
  numMelBins: 80,
  frameLengthMs: 25,
  frameShiftMs: 10,
  lowFreqHz: 20,
  highFreqHz: 0,
  preemphasis: 0.97,
  inputScale: 32768,
  sampleRate: PIPELINE_SAMPLE_RATE,
} as const satisfies FbankOptions;

/** float32 machine epsilon: Kaldi's floor before the log. */
const LOG_FLOOR = 1.1920928955078125e-7;

const mel = (hz: number) => 1127 * Math.log(1 + hz / 700);

/** Triangular mel filters over FFT bins 0..fftSize/2 - 1 (Kaldi leaves the Nyquist bin out). */
function melBanks(o: FbankOptions, fftSize: number): { first: number; weights: Float64Array }[] {
  const nyquist = o.sampleRate / 2;
  const high = o.highFreqHz > 0 ? o.highFreqHz : nyquist + o.highFreqHz;
  const lowMel = mel(o.lowFreqHz);
  const delta = (mel(high) - lowMel) / (o.numMelBins + 1);
  const binHz = o.sampleRate / fftSize;
  const bins = fftSize / 2;
  const banks: { first: number; weights: Float64Array }[] = [];
  for (let m = 0; m < o.numMelBins; m++) {
    const left = lowMel + m * delta;
    const center = left + delta;
    const right = center + delta;
    const w: number[] = [];
    let first = -1;
    for (let k = 0; k < bins; k++) {
      const f = mel(binHz * k);
      const v =
        f > left && f < right
          ? f <= center
            ? (f - left) / (center - left)
            : (right - f) / (right - center)
          : 0;
      if (v > 0) {
        if (first < 0) first = k;
        w[k - first] = v;
      } else if (first >= 0) break;
    }
    banks.push({ first: Math.max(first, 0), weights: Float64Array.from(w, (x) => x ?? 0) });
  }
  return banks;
}

/** Streaming extractor: push() any number of samples, get every frame they complete. */
export class Fbank {
  readonly options: FbankOptions;
  readonly windowSamples: number;
  readonly shiftSamples: number;
  private readonly fftSize: number;
  private readonly fft: FFT;
  private readonly window: Float64Array;
  private readonly banks: { first: number; weights: Float64Array }[];
  private readonly frame: Float64Array;
  private readonly spectrum: number[];
  private pending: Float32Array;
  private filled = 0;

  constructor(options: Partial<FbankOptions> = {}) {
    const o = (this.options = { ...defaultFbankOptions, ...options });
    this.windowSamples = Math.round((o.sampleRate * o.frameLengthMs) / 1000);
    this.shiftSamples = Math.round((o.sampleRate * o.frameShiftMs) / 1000);
    this.fftSize = 2 ** Math.ceil(Math.log2(this.windowSamples));
    this.fft = new FFT(this.fftSize);
    const n = this.windowSamples;
    this.window = Float64Array.from(
      { length: n },
      (_, i) => (0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (n - 1))) ** 0.85,
    );
    this.banks = melBanks(o, this.fftSize);
    this.frame = new Float64Array(this.fftSize);
    this.spectrum = this.fft.createComplexArray() as number[];
    this.pending = new Float32Array(n + this.shiftSamples * 64);
  }

  /** Frames completed by these samples (float, [-1, 1]); each is a fresh array of numMelBins log energies. */
  push(samples: Float32Array): Float32Array[] {
    if (this.filled + samples.length > this.pending.length) {
      const grown = new Float32Array(Math.max(this.pending.length * 2, this.filled + samples.length));
      grown.set(this.pending.subarray(0, this.filled));
      this.pending = grown;
    }
    this.pending.set(samples, this.filled);
    this.filled += samples.length;
    const out: Float32Array[] = [];
    let start = 0;
    while (start + this.windowSamples <= this.filled) {
      out.push(this.compute(this.pending.subarray(start, start + this.windowSamples)));
      start += this.shiftSamples;
    }
    if (start > 0) {
      this.pending.copyWithin(0, start, this.filled);
      this.filled -= start;
    }
    return out;
  }

  /** Forget buffered samples (a new utterance). */
  reset(): void {
    this.filled = 0;
  }

  private compute(samples: Float32Array): Float32Array {
    const o = this.options;
    const n = this.windowSamples;
    const x = this.frame;
    let mean = 0;
    for (let i = 0; i < n; i++) mean += samples[i] * o.inputScale;
    mean /= n;
    for (let i = 0; i < n; i++) x[i] = samples[i] * o.inputScale - mean;
    for (let i = n - 1; i > 0; i--) x[i] -= o.preemphasis * x[i - 1];
    x[0] -= o.preemphasis * x[0];
    for (let i = 0; i < n; i++) x[i] *= this.window[i];
    x.fill(0, n);
    this.fft.realTransform(this.spectrum, x as unknown as number[]);
    const spec = this.spectrum;
    const out = new Float32Array(o.numMelBins);
    for (let m = 0; m < this.banks.length; m++) {
      const { first, weights } = this.banks[m];
      let e = 0;
      for (let j = 0; j < weights.length; j++) {
        const k = first + j;
        e += weights[j] * (spec[2 * k] * spec[2 * k] + spec[2 * k + 1] * spec[2 * k + 1]);
      }
      out[m] = Math.log(Math.max(e, LOG_FLOOR));
    }
    return out;
  }
}

/** All frames of a whole buffer (snip_edges: only windows that fit entirely). */
export function fbankAll(samples: Float32Array, options: Partial<FbankOptions> = {}): Float32Array[] {
  return new Fbank(options).push(samples);
}
