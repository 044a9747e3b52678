/**
 * The linear echo stage behind the EchoSuppressor seam: the delay estimator finds where
 * banter's voice comes back, the reference is delayed to line up with it (less a margin, so
 * the adaptive filter sees the echo's onset), and the FDAF subtracts what it has learned of
 * the path. Frames of any length; output is delayed by nothing when frames are whole blocks
 * (Silero's 512-sample frames are two blocks of 256), else by one block.
 */
import { DelayEstimator, type DelayEstimatorOptions } from './delay-estimator.ts';
import type { EchoSuppressor, EchoSuppressorStream } from './echo-suppressor.ts';
import { Fdaf, type FdafOptions } from './fdaf.ts';
import { ResidualGate, type ResidualGateOptions } from './residual-gate.ts';

export interface EchoCancellerOptions {
  sampleRate: number;
  /** Taken off the estimated delay so the filter sees the echo's first samples, ms. */
  marginMs: number;
  delay: Partial<DelayEstimatorOptions>;
  filter: Partial<FdafOptions>;
  /** The residual-echo gate after the filter; false for the linear stage alone. */
  gate: Partial<ResidualGateOptions> | false;
}

export const DEFAULT_ECHO_CANCELLER: EchoCancellerOptions = {
  sampleRate: 16000,
  marginMs: 10,
  delay: {},
  filter: {},
  gate: {},
};

class EchoCancellerStream implements EchoSuppressorStream {
  private readonly estimator: DelayEstimator;
  private readonly fdaf: Fdaf;
  private readonly gate: ResidualGate | null;
  private readonly B: number;
  /** Reference history, long enough for the longest delay looked for. */
  private readonly history: Float32Array;
  private written = 0;
  /** The block being filled (mic and aligned reference), and output waiting to be taken. */
  private readonly micBlock: Float32Array;
  private readonly refBlock: Float32Array;
  private filled = 0;
  private out: Float32Array = new Float32Array(0);
  private outLen = 0;
  private shift = 0;

  constructor(private readonly o: EchoCancellerOptions) {
    this.estimator = new DelayEstimator({ sampleRate: o.sampleRate, ...o.delay });
    this.fdaf = new Fdaf(o.filter);
    this.gate = o.gate === false ? null : new ResidualGate(o.gate);
    this.B = this.fdaf.o.blockSize;
    const maxMs = o.delay.maxDelayMs ?? 500;
    this.history = new Float32Array(Math.ceil((maxMs * o.sampleRate) / 1000) + 4 * this.B);
    this.micBlock = new Float32Array(this.B);
    this.refBlock = new Float32Array(this.B);
  }

  get delayMs(): number {
    return this.estimator.estimate?.delayMs ?? 0;
  }

  private started = false;

  process(mic: Float32Array, reference: Float32Array): Float32Array {
    if (!this.started) {
      // Frames that are not whole blocks: a constant latency of one block, so every frame out is whole.
      if (mic.length % this.B !== 0) this.emit(new Float32Array(this.B));
      this.started = true;
    }
    const est = this.estimator.push(reference, mic);
    if (est)
      this.shift = Math.max(0, Math.round(((est.delayMs - this.o.marginMs) * this.o.sampleRate) / 1000));
    const h = this.history;
    for (let i = 0; i < mic.length; i++) {
      h[this.written % h.length] = reference[i] ?? 0;
      this.written++;
      const at = this.written - 1 - this.shift;
      this.refBlock[this.filled] = at >= 0 && this.written - at <= h.length ? h[at % h.length] : 0;
      this.micBlock[this.filled++] = mic[i];
      if (this.filled === this.B) {
        const block = this.fdaf.process(this.refBlock, this.micBlock);
        this.gate?.apply(block, this.refBlock);
        this.emit(block);
        this.filled = 0;
      }
    }
    const n = Math.min(mic.length, this.outLen);
    const result = new Float32Array(mic.length);
    result.set(this.out.subarray(0, n), mic.length - n);
    this.out.copyWithin(0, n, this.outLen);
    this.outLen -= n;
    return result;
  }

  private emit(block: Float32Array): void {
    if (this.outLen + block.length > this.out.length) {
      const grown = new Float32Array(Math.max(2 * this.out.length, this.outLen + block.length));
      grown.set(this.out.subarray(0, this.outLen));
      this.out = grown;
    }
    this.out.set(block, this.outLen);
    this.outLen += block.length;
  }

  reset(): void {
    this.estimator.reset();
    this.fdaf.reset();
    this.gate?.reset();
    this.history.fill(0);
    this.written = 0;
    this.filled = 0;
    this.outLen = 0;
    this.shift = 0;
    this.started = false;
  }
}

/** banter's echo canceller (delay estimation, PBFDAF, residual gate), one stream per call. */
export function createEchoCanceller(options: Partial<EchoCancellerOptions> = {}): EchoSuppressor {
  const o = { ...DEFAULT_ECHO_CANCELLER, ...options };
  return {
    label: o.gate === false ? 'banter-aec-linear' : 'banter-aec-linear+gate',
    createStream: () => new EchoCancellerStream(o),
  };
}

/**
 * A whole recording through a stream, frame by frame as a session feeds it (offline use: the
 * evaluation, tests, benchmarks). The tail shorter than a frame is left silent.
 */
export function processWhole(
  stream: EchoSuppressorStream,
  mic: Float32Array,
  reference: Float32Array,
  frame = 512,
): Float32Array {
  const out = new Float32Array(mic.length);
  for (let i = 0; i + frame <= mic.length; i += frame)
    out.set(stream.process(mic.subarray(i, i + frame), reference.subarray(i, i + frame)), i);
  return out;
}
