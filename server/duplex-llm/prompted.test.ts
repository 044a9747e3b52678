import { describe, expect, it } from 'vitest';
import { type ChatBackend, type ChatMessage, LlmError } from './chat.ts';
import type { SliceOutput, SliceSignal } from './duplex-model.ts';
import { PromptedConversation, DEFAULT_PROMPTED } from './prompted.ts';

/** A backend that answers every request with `words`, one delta each, and records what it was sent. */
function scriptedBackend(words: string[], fail?: LlmError) {
  const requests: ChatMessage[][] = [];
  let aborted = 0;
  const backend: ChatBackend = {
    label: 'scripted',
    async *complete(messages, signal) {
      requests.push([...messages]);
      if (fail) throw fail;
      for (const w of words) {
        if (signal.aborted) {
          aborted++;
          return;
        }
        yield w;
        await new Promise((r) => setTimeout(r, 1));
      }
    },
  };
  return { backend, requests, aborted: () => aborted };
}

const never = new AbortController().signal;

async function step(
  conv: PromptedConversation,
  text: string,
  signals: SliceSignal[] = [],
): Promise<SliceOutput[]> {
  const out: SliceOutput[] = [];
  for await (const o of conv.step({ text, signals, startMs: 0, endMs: 400 }, never)) out.push(o);
  return out;
}
const texts = (o: SliceOutput[]) => o.flatMap((x) => (x.type === 'text' ? [x.delta] : []));
const eot = (p: number): SliceSignal => ({ type: 'end_of_turn', probability: p });

describe('prompted duplex mode', () => {
  it('answers a sure end of turn in the same slice, with the whole turn as the message', async () => {
    const s = scriptedBackend(['sure', ' thing']);
    const conv = new PromptedConversation(s.backend, DEFAULT_PROMPTED, 'be brief');
    expect(await step(conv, 'book a table')).toEqual([{ type: 'idle' }]);
    const out = await step(conv, 'for two', [eot(0.9)]);
    expect(texts(out)[0]).toBe('sure');
    expect(s.requests[0]).toEqual([
      { role: 'system', content: 'be brief' },
      { role: 'user', content: 'book a table for two' },
    ]);
  });

  it('waits after an unsure end of turn, and answers after the silent slices', async () => {
    const s = scriptedBackend(['ok']);
    const conv = new PromptedConversation(s.backend, DEFAULT_PROMPTED);
    expect(await step(conv, 'i want to', [eot(0.2)])).toEqual([{ type: 'idle' }]);
    expect(await step(conv, '')).toEqual([{ type: 'idle' }]);
    const out = await step(conv, '');
    expect(texts(out)).toEqual(['ok']);
    expect(s.requests).toHaveLength(1);
  });

  it('a pause that the caller fills with words is not an end of turn', async () => {
    const s = scriptedBackend(['ok']);
    const conv = new PromptedConversation(s.backend, DEFAULT_PROMPTED);
    await step(conv, 'i want to', [eot(0.2)]);
    await step(conv, 'book');
    await step(conv, '');
    await step(conv, '');
    expect(s.requests).toHaveLength(0);
  });

  it('pauses at a barge-in, resumes after silence, and stops on words keeping only what was heard', async () => {
    const s = scriptedBackend(['the', ' address', ' is', ' 377', ' santana', ' row']);
    const conv = new PromptedConversation(s.backend, { ...DEFAULT_PROMPTED, firstDeltaWaitMs: 500 });
    await step(conv, 'where is it', [eot(0.9)]);
    await new Promise((r) => setTimeout(r, 30));
    expect(await step(conv, '', [{ type: 'voice' }, { type: 'barge_in' }])).toEqual([{ type: 'idle' }]);
    expect(await step(conv, '', [{ type: 'voice' }])).toEqual([{ type: 'idle' }]);
    expect(await step(conv, '')).toEqual([{ type: 'continue' }]);
    await step(conv, '', [
      { type: 'voice' },
      { type: 'barge_in' },
      { type: 'heard', text: 'the address is' },
    ]);
    expect(await step(conv, 'wait no')).toEqual([{ type: 'stop' }]);
    expect(conv.messages()).toEqual([
      { role: 'user', content: 'where is it' },
      { role: 'assistant', content: 'the address is' },
    ]);
    // the interrupting words open the caller's next turn
    await step(conv, 'the other one', [eot(0.9)]);
    expect(s.requests[1].at(-1)).toEqual({ role: 'user', content: 'wait no the other one' });
  });

  it('keeps the whole reply in the history once it played', async () => {
    const s = scriptedBackend(['hello', ' there']);
    const conv = new PromptedConversation(s.backend, DEFAULT_PROMPTED);
    await step(conv, 'hi', [eot(0.9)]);
    await new Promise((r) => setTimeout(r, 20));
    const rest = await step(conv, '');
    expect(rest.at(-1)).toEqual({ type: 'end' });
    expect(await step(conv, '')).toEqual([{ type: 'continue' }]);
    await step(conv, '', [{ type: 'played' }]);
    expect(conv.messages().at(-1)).toEqual({ role: 'assistant', content: 'hello there' });
  });

  it('a failing backend yields llm_failed and the conversation goes on listening', async () => {
    const s = scriptedBackend([], new LlmError('llm_unreachable', 'connection refused'));
    const conv = new PromptedConversation(s.backend, DEFAULT_PROMPTED);
    const out = await step(conv, 'hello', [eot(0.9)]);
    expect(out).toEqual([
      { type: 'error', code: 'llm_failed', message: 'llm_unreachable: connection refused' },
    ]);
    expect(await step(conv, 'anyone')).toEqual([{ type: 'idle' }]);
  });
});
