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
  private readonly micQueue: number[] = [];
  private readonly refQueue: number[] = [];
  private readonly outQueue: number[] = [];
  private shift = 0;

  constructor(private readonly o: EchoCancellerOptions) {
    this.estimator = new DelayEstimator({ sampleRate: o.sampleRate, ...o.delay });
    this.fdaf = new Fdaf(o.filter);
    this.gate = o.gate === false ? null : new ResidualGate(o.gate);
    this.B = this.fdaf.o.blockSize;
    const maxMs = o.delay.maxDelayMs ?? 500;
    this.history = new Float32Array(Math.ceil((maxMs * o.sampleRate) / 1000) + 4 * this.B);
  }

  get delayMs(): number {
    return this.estimator.estimate?.delayMs ?? 0;
  }

  private started = false;

  process(mic: Float32Array, reference: Float32Array): Float32Array {
    if (!this.started) {
      // Frames that are not whole blocks: a constant latency of one block, so every frame out is whole.
      if (mic.length % this.B !== 0) for (let i = 0; i < this.B; i++) this.outQueue.push(0);
      this.started = true;
    }
    const est = this.estimator.push(reference, mic);
    if (est)
      this.shift = Math.max(0, Math.round(((est.delayMs - this.o.marginMs) * this.o.sampleRate) / 1000));
    for (let i = 0; i < mic.length; i++) {
      this.history[this.written % this.history.length] = reference[i] ?? 0;
      this.written++;
      const at = this.written - 1 - this.shift;
      this.refQueue.push(
        at >= 0 && this.written - at <= this.history.length ? this.history[at % this.history.length] : 0,
      );
      this.micQueue.push(mic[i]);
    }
    while (this.micQueue.length >= this.B) {
      const m = Float32Array.from(this.micQueue.splice(0, this.B));
      const r = Float32Array.from(this.refQueue.splice(0, this.B));
      const out = this.fdaf.process(r, m);
      this.gate?.apply(out, r);
      for (const v of out) this.outQueue.push(v);
    }
    return Float32Array.from(this.outQueue.splice(0, mic.length));
  }

  reset(): void {
    this.estimator.reset();
    this.fdaf.reset();
    this.gate?.reset();
    this.history.fill(0);
    this.written = 0;
    this.micQueue.length = 0;
    this.refQueue.length = 0;
    this.outQueue.length = 0;
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
