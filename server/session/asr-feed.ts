/**
 * Feeds a session's recognizer with the speech the VAD accepted, and nothing else: caller audio
 * is kept for a short pre-roll; a speech start sends the recognizer the audio from just before
 * the onset, every frame while the caller speaks follows, and the speech end (confirmed after
 * the VAD's hangover) finalizes the utterance. Silence between turns never reaches the model,
 * which is what keeps it from hallucinating words in noise and costs nothing while nobody talks.
 *
 * The VAD calls in synchronously per frame; recognizer calls are async, so they run one after
 * another on a chain, and `idle()` resolves when the chain has caught up (the session awaits it
 * per audio chunk, which carries the recognizer's cost into the input backpressure).
 */
import { z } from 'zod';
import { msForSamples } from '../audio/rates.ts';
import type { RecognizerStream } from '../asr/recognizer.ts';
import type { VadEvent } from '../turn-taking/vad-processor.ts';

export const AsrFeedTuning = z.strictObject({
  /** Audio before the VAD's onset sent with the utterance, ms (the onset lags the first phoneme). Default 200. */
  preRollMs: z.number().nonnegative().max(2000).default(200),
});
export type AsrFeedTuning = z.infer<typeof AsrFeedTuning>;

interface HeldFrame {
  atMs: number;
  samples: Float32Array;
}

export class AsrFeed {
  private held: HeldFrame[] = [];
  private speaking = false;
  private chain: Promise<void> = Promise.resolve();
  private failure: unknown = null;

  constructor(
    private readonly stream: RecognizerStream,
    private readonly tuning: AsrFeedTuning,
  ) {}

  /**
   * One VAD frame (the framer's fresh array, kept as is) and the events it produced; `atMs` is
   * the frame's first sample on the session clock.
   */
  frame(samples: Float32Array, atMs: number, events: readonly VadEvent[]): void {
    let sent = false;
    for (const e of events) {
      if (e.type === 'speech_start') {
        this.speaking = true;
        const from = e.startMs - this.tuning.preRollMs;
        for (const f of this.held) if (f.atMs + msForSamples(f.samples.length) > from) this.send(f);
        this.held = [];
        this.send({ atMs, samples });
        sent = true;
      } else {
        // The frames up to the confirmation (the hangover's silence included) are already sent.
        if (this.speaking && !sent) this.send({ atMs, samples });
        sent = true;
        this.endpoint();
      }
    }
    if (sent) return;
    if (this.speaking) this.send({ atMs, samples });
    else this.hold({ atMs, samples });
  }

  /** Events with no frame (the VAD flushed at the end of the stream): an open utterance is finalized. */
  flush(events: readonly VadEvent[]): void {
    if (events.some((e) => e.type === 'speech_end')) this.endpoint();
  }

  /** Resolves once every recognizer call so far has finished; rejects with the first failure. */
  async idle(): Promise<void> {
    await this.chain;
    if (this.failure) throw this.failure;
  }

  close(): void {
    this.held = [];
    this.run(async () => this.stream.close());
  }

  private endpoint(): void {
    if (!this.speaking) return;
    this.speaking = false;
    this.run(() => this.stream.endpoint());
  }

  private send(f: HeldFrame): void {
    this.run(() => this.stream.push(f.samples, f.atMs));
  }

  private hold(f: HeldFrame): void {
    this.held.push(f);
    const keepMs = this.tuning.preRollMs + msForSamples(f.samples.length);
    while (this.held.length > 1 && f.atMs - this.held[0].atMs > keepMs) this.held.shift();
  }

  private run(task: () => Promise<void>): void {
    this.chain = this.chain.then(async () => {
      if (this.failure) return;
      try {
        await task();
      } catch (err) {
        this.failure = err;
      }
    });
  }
}
