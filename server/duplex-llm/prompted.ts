/**
 * The prompted duplex mode: a turn-based chat backend (an OpenAI-compatible server, banter's
 * own route, a bigger local model) behind the DuplexConversation interface. The content comes
 * from the backend; the timing is decided here by rules, the ones the TDM model's card
 * measures as its "VAD + end-of-turn threshold" baseline:
 * - answer when the end-of-turn probability reaches the threshold, or after `unsureWaitSlices`
 *   silent slices below it;
 * - at a barge-in stay paused; words -> stop (the backend stream is aborted, the history keeps
 *   what the caller heard, the words start the caller's next turn); silence -> resume.
 */
import { normalizeAsr } from '../turn-taking/eot-text.ts';
import { type ChatBackend, type ChatMessage, LlmError } from './chat.ts';
import type { DuplexConversation, DuplexModel, SliceOutput, UserSlice } from './duplex-model.ts';

export interface PromptedOptions {
  /** End-of-turn probability at or above which banter answers at once. */
  endOfTurnThreshold: number;
  /** Silent slices after an unsure end of turn before banter answers anyway. */
  unsureWaitSlices: number;
  /** How long the slice that starts a reply waits for the backend's first words, ms. */
  firstDeltaWaitMs: number;
  /** Messages of history sent with each request (system prompt aside). */
  maxHistoryMessages: number;
  sliceMs: number;
}

export const DEFAULT_PROMPTED: PromptedOptions = {
  endOfTurnThreshold: 0.5,
  unsureWaitSlices: 2,
  firstDeltaWaitMs: 1500,
  maxHistoryMessages: 20,
  sliceMs: 400,
};

export function promptedDuplexModel(
  backend: ChatBackend,
  options: Partial<PromptedOptions> = {},
): DuplexModel {
  const opts = { ...DEFAULT_PROMPTED, ...options };
  return {
    label: `prompted:${backend.label}`,
    sliceMs: opts.sliceMs,
    createConversation: (o = {}) => new PromptedConversation(backend, opts, o.system),
  };
}

interface Reply {
  abort: AbortController;
  buffer: string[];
  written: string;
  done: boolean;
  /** `end` was yielded; later slices keep speaking until the session reports it played. */
  ended: boolean;
  error: LlmError | null;
  wake: (() => void) | null;
}

type State = 'listening' | 'responding' | 'paused';

export class PromptedConversation implements DuplexConversation {
  private readonly history: ChatMessage[] = [];
  private turn: string[] = [];
  private state: State = 'listening';
  private reply: Reply | null = null;
  private heard: string | null = null;
  private waiting = -1;

  constructor(
    private readonly backend: ChatBackend,
    private readonly opts: PromptedOptions,
    private readonly system?: string,
  ) {}

  /** What the backend has been told so far (tests, debugging). */
  messages(): readonly ChatMessage[] {
    return this.history;
  }

  async *step(slice: UserSlice, signal: AbortSignal): AsyncIterable<SliceOutput> {
    const words = normalizeAsr(slice.text);
    const has = (t: string) => slice.signals.some((s) => s.type === t);
    for (const s of slice.signals) if (s.type === 'heard') this.heard = s.text;
    if (has('played') && this.state === 'responding' && this.reply?.done)
      this.finishReply(this.reply.written);
    const eot = slice.signals.find((s) => s.type === 'end_of_turn');
    const sound = Boolean(words) || has('voice') || has('barge_in');

    if (this.state === 'paused') {
      if (words) {
        this.stopReply();
        this.turn.push(words);
        yield { type: 'stop' };
      } else if (sound) yield { type: 'idle' };
      else {
        this.state = 'responding';
        yield { type: 'continue' };
      }
      return;
    }
    if (this.state === 'responding') {
      if (has('barge_in')) {
        this.state = 'paused';
        yield { type: 'idle' };
        return;
      }
      yield* this.drain(0, signal);
      return;
    }
    // listening
    if (words) this.turn.push(words);
    if (eot && eot.type === 'end_of_turn') {
      if (eot.probability >= this.opts.endOfTurnThreshold) {
        yield* this.startReply(signal);
        return;
      }
      this.waiting = this.opts.unsureWaitSlices;
    } else if (this.waiting > 0 && !sound) {
      if (--this.waiting === 0) {
        this.waiting = -1;
        yield* this.startReply(signal);
        return;
      }
    } else if (sound) this.waiting = -1;
    yield { type: 'idle' };
  }

  close(): void {
    this.reply?.abort.abort();
    this.reply = null;
  }

  private async *startReply(signal: AbortSignal): AsyncIterable<SliceOutput> {
    const text = this.turn.join(' ').trim();
    this.turn = [];
    this.waiting = -1;
    if (!text) {
      yield { type: 'idle' };
      return;
    }
    this.history.push({ role: 'user', content: text });
    const messages: ChatMessage[] = [
      ...(this.system ? [{ role: 'system' as const, content: this.system }] : []),
      ...this.history.slice(-this.opts.maxHistoryMessages),
    ];
    const reply: Reply = {
      abort: new AbortController(),
      buffer: [],
      written: '',
      done: false,
      ended: false,
      error: null,
      wake: null,
    };
    this.reply = reply;
    this.heard = null;
    this.state = 'responding';
    void (async () => {
      try {
        for await (const delta of this.backend.complete(messages, reply.abort.signal)) {
          reply.buffer.push(delta);
          reply.wake?.();
        }
      } catch (err) {
        reply.error =
          err instanceof LlmError
            ? err
            : new LlmError('llm_bad_response', (err as Error).message, { cause: err });
      } finally {
        reply.done = true;
        reply.wake?.();
      }
    })();
    yield* this.drain(this.opts.firstDeltaWaitMs, signal);
  }

  /** Yields what the backend has written; waits up to `waitMs` for the first of it. */
  private async *drain(waitMs: number, signal: AbortSignal): AsyncIterable<SliceOutput> {
    const reply = this.reply;
    if (!reply) {
      yield { type: 'idle' };
      return;
    }
    if (waitMs > 0 && reply.buffer.length === 0 && !reply.done) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, waitMs);
        const onAbort = () => resolve();
        signal.addEventListener('abort', onAbort, { once: true });
        reply.wake = () => {
          clearTimeout(timer);
          signal.removeEventListener('abort', onAbort);
          resolve();
        };
      });
      reply.wake = null;
    }
    let any = false;
    while (reply.buffer.length && !signal.aborted) {
      const delta = reply.buffer.shift()!;
      reply.written += delta;
      any = true;
      yield { type: 'text', delta };
    }
    if (reply.error) {
      const err = reply.error;
      this.reply = null;
      this.state = 'listening';
      if (reply.written) this.history.push({ role: 'assistant', content: reply.written });
      yield { type: 'error', code: 'llm_failed', message: err.message };
      return;
    }
    if (reply.done && reply.buffer.length === 0 && !reply.ended) {
      reply.ended = true;
      yield { type: 'end' };
      // the reply stays "responding" until the session says it played (or a barge-in stops it)
      return;
    }
    if (!any) yield { type: 'continue' };
  }

  async abandonReply(heard: string): Promise<void> {
    this.heard = heard;
    this.stopReply();
  }

  private stopReply(): void {
    const reply = this.reply;
    if (!reply) return;
    reply.abort.abort();
    // only what the caller heard stays; without a report, what was written
    this.finishReply(this.heard ?? reply.written);
  }

  private finishReply(content: string): void {
    if (content.trim()) this.history.push({ role: 'assistant', content: content.trim() });
    this.reply = null;
    this.heard = null;
    this.state = 'listening';
  }
}
