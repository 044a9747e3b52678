/**
 * banter's TDM model as a turn-based chat backend (for the OpenAI-compatible route, and for
 * callers that want a reply to a whole transcript). The messages are written into a TDM
 * stream the way the session would have: each user message word by word, two words per
 * slice, its last slice closed by a sure end of turn (bucket 4); each earlier assistant message
 * forced into the stream as banter's own words, ended with <eos> and a played slice. Then the
 * model answers the last user message and the reply is read off the slices it writes while
 * the caller stays silent. System messages are ignored: the small model has no system prompt.
 */
import { normalizeAsr } from '../turn-taking/eot-text.ts';
import type { ChatBackend, ChatMessage, ChatOptions } from './chat.ts';
import type { SliceOutput, UserSlice } from './duplex-model.ts';
import type { TdmModel } from './tdm-model.ts';
import { normalizeAssistant } from './tdm-stream.ts';

const WORDS_PER_SLICE = 2;
/** Tokens of an earlier assistant message written per later slice. */
const TOKENS_PER_SLICE = 3;
/** Words of an earlier assistant message written per slice (its first slice writes up to 6, as in training). */
const FIRST_SLICE_WORDS = 6;
/** Slices the reply may take at most, silent caller. */
const MAX_REPLY_SLICES = 60;

export class TdmChatBackend implements ChatBackend {
  readonly label: string;

  constructor(private readonly model: TdmModel) {
    this.label = model.label;
  }

  async *complete(
    messages: readonly ChatMessage[],
    signal: AbortSignal,
    options: ChatOptions = {},
  ): AsyncIterable<string> {
    const queue: number[] = [];
    const conv = this.model.createConversation({ sampler: (l) => queue.shift() ?? this.model.decide(l) });
    const ids = this.model.ids;
    const slice = (text: string, signals: UserSlice['signals'] = []): UserSlice => ({
      text,
      signals,
      startMs: 0,
      endMs: this.model.sliceMs,
    });
    const run = async (s: UserSlice): Promise<SliceOutput[]> => {
      const out: SliceOutput[] = [];
      for await (const o of conv.step(s, signal)) out.push(o);
      return out;
    };
    try {
      const turns = messages.filter((m) => m.role !== 'system');
      const last = turns.map((m) => m.role).lastIndexOf('user');
      if (last < 0) return;
      let rest: number[] | null = null; // the part of the next assistant message not yet written
      let answerFrom: UserSlice | null = null;
      for (let i = 0; i <= last && !signal.aborted; i++) {
        const m = turns[i];
        if (m.role === 'user') {
          const words = normalizeAsr(m.content).split(' ').filter(Boolean);
          const chunks: string[] = [];
          for (let w = 0; w < words.length; w += WORDS_PER_SLICE)
            chunks.push(words.slice(w, w + WORDS_PER_SLICE).join(' '));
          if (chunks.length === 0) chunks.push('');
          for (const [c, text] of chunks.entries()) {
            const final = c === chunks.length - 1;
            queue.length = 0;
            if (!final) queue.push(ids.idle);
            else if (i < last && turns[i + 1].role === 'assistant') {
              // the next message is banter's: force its first slice as the answer to this end of turn
              const plan = this.plan(turns[i + 1].content);
              queue.push(...plan.first);
              rest = plan.rest;
            }
            const s = slice(text, final ? [{ type: 'end_of_turn', probability: 0.95 }] : []);
            // the last user message's final slice is where the answer starts: read below
            if (final && i === last) answerFrom = s;
            else await run(s);
          }
        } else {
          const tokens = rest ?? this.model.encode(normalizeAssistant(m.content));
          rest = null;
          for (let k = 0; k < tokens.length; k += TOKENS_PER_SLICE) {
            queue.length = 0;
            queue.push(
              ...tokens.slice(k, k + TOKENS_PER_SLICE),
              k + TOKENS_PER_SLICE >= tokens.length ? ids.eos : ids.user,
            );
            await run(slice(''));
          }
          queue.length = 0;
          queue.push(ids.idle);
          await run(slice('', [{ type: 'played' }]));
        }
      }
      queue.length = 0;
      // the answer: read the slices the model writes from the end of turn on, the caller silent
      let written = 0;
      const maxTokens = options.maxTokens ?? Infinity;
      for (let n = 0; n < MAX_REPLY_SLICES && !signal.aborted; n++) {
        let ended = false;
        for await (const o of conv.step((n === 0 && answerFrom) || slice(''), signal)) {
          if (o.type === 'text') {
            yield o.delta;
            if (++written >= maxTokens) ended = true;
          } else if (o.type === 'end' || o.type === 'stop' || (o.type === 'idle' && written > 0))
            ended = true;
        }
        if (ended) break;
      }
    } finally {
      conv.close();
    }
  }

  /** An earlier assistant message: its first slice (up to FIRST_SLICE_WORDS words) and the tokens after. */
  private plan(content: string): { first: number[]; rest: number[] } {
    const ids = this.model.ids;
    const words = normalizeAssistant(content).split(' ').filter(Boolean);
    const first = this.model.encode(words.slice(0, FIRST_SLICE_WORDS).join(' '));
    const rest = this.model.encode(words.slice(FIRST_SLICE_WORDS).join(' '));
    if (first.length === 0) return { first: [ids.idle], rest: [] };
    return { first: [...first, rest.length ? ids.user : ids.eos], rest };
  }
}
