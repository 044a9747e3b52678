/**
 * A caller on a live line, for conversation tests and benchmarks: it sends 20 ms PCM16 frames
 * in real time over a StreamClient, quiet noise (about -66 dBFS) unless it is saying something,
 * as a microphone would.
 */
import { floatToPcm16 } from '../audio/pcm.ts';
import { samplesForMs } from '../audio/rates.ts';
import { type StreamClient, sleep } from './stream-client.ts';

const FRAME_MS = 20;

export class Caller {
  private queue: { frame: Float32Array; onSent?: (wallMs: number) => void }[] = [];
  private running = true;
  private seed = 7;
  readonly done: Promise<void>;

  constructor(readonly client: StreamClient) {
    this.done = this.run();
  }

  /**
   * Queues `pcm` to be said after whatever is queued. `mark` (a sample of `pcm`, default its
   * last): the returned promise resolves with the wall time (performance.now()) at which the
   * frame holding it was sent.
   */
  say(pcm: Float32Array, mark = pcm.length - 1): Promise<number> {
    const frame = samplesForMs(FRAME_MS);
    return new Promise((resolve) => {
      for (let at = 0; at < pcm.length; at += frame) {
        const f = new Float32Array(frame);
        f.set(pcm.subarray(at, at + frame));
        const holds = mark >= at && mark < at + frame;
        this.queue.push({ frame: f, onSent: holds ? resolve : undefined });
      }
      if (pcm.length === 0) resolve(performance.now());
    });
  }

  /** Resolves once everything queued has been sent. */
  async said(): Promise<void> {
    while (this.queue.length > 0) await sleep(FRAME_MS);
  }

  private noise(): Float32Array {
    const f = new Float32Array(samplesForMs(FRAME_MS));
    for (let i = 0; i < f.length; i++) {
      this.seed = (this.seed * 1103515245 + 12345) & 0x7fffffff;
      f[i] = ((this.seed / 0x7fffffff) * 2 - 1) * 0.0005;
    }
    return f;
  }

  private async run(): Promise<void> {
    const t0 = performance.now();
    for (let i = 0; this.running; i++) {
      const wait = t0 + i * FRAME_MS - performance.now();
      if (wait > 1) await sleep(wait);
      const next = this.queue.shift();
      if (this.client.ws.readyState !== 1) return;
      this.client.sendBinary(floatToPcm16(next?.frame ?? this.noise()), FRAME_MS);
      next?.onSent?.(performance.now());
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.done;
  }
}
