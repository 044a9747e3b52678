import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelError, ModelRegistry, bundledModelDir } from '../models/registry.ts';
import type { SliceOutput, UserSlice } from './duplex-model.ts';
import { argmax } from './sampling.ts';
import { type TdmModel, loadTdmModel, repeatsNgram } from './tdm-model.ts';
import { type TdmTokenIds, signalsFromTokens, userSliceTokens } from './tdm-stream.ts';

// BANTER_TDM_DIR points the test at another export of the same contract (a smoke run, say).
const TDM_DIR = process.env.BANTER_TDM_DIR ?? bundledModelDir('tdm');

interface FixtureSlice {
  user_words: string;
  signals: string[];
  start_ms: number;
  end_ms: number;
  gold: string[];
  tag: string;
  model: string[];
}
interface StreamFixture {
  first_logits_16: number[];
  slices: FixtureSlice[];
}

const readJson = async <T>(p: string): Promise<T> => JSON.parse(await readFile(p, 'utf8')) as T;

const toSlice = (s: FixtureSlice): UserSlice => ({
  text: s.user_words,
  signals: signalsFromTokens(s.signals),
  startMs: s.start_ms,
  endMs: s.end_ms,
});

async function collect(it: AsyncIterable<SliceOutput>): Promise<SliceOutput[]> {
  const out: SliceOutput[] = [];
  for await (const o of it) out.push(o);
  return out;
}

const never = new AbortController().signal;
const silent = (i: number): UserSlice => ({ text: '', signals: [], startMs: i * 400, endMs: (i + 1) * 400 });

let registry: ModelRegistry;
let model: TdmModel;
let fixture: StreamFixture;
let tmp: string;

beforeAll(async () => {
  registry = new ModelRegistry();
  // PyTorch's raw decisions: without the engine's rule that a reply opens with a word.
  model = await loadTdmModel(registry, TDM_DIR, { replyStartsWithWord: false, noRepeatNgram: 0 });
  fixture = await readJson<StreamFixture>(path.join(TDM_DIR, 'stream-fixture.json'));
  tmp = await mkdtemp(path.join(tmpdir(), 'banter-tdm-'));
});
afterAll(async () => {
  await registry.close();
  await rm(tmp, { recursive: true, force: true });
});

describe('repeatsNgram', () => {
  it('finds the next piece completing a run already said, for n 1 to 3, and never with n 0', () => {
    expect(repeatsNgram([1, 2, 3, 1, 2], 3, 3)).toBe(true);
    expect(repeatsNgram([1, 2, 3, 1, 2], 4, 3)).toBe(false);
    expect(repeatsNgram([1, 2], 1, 3)).toBe(false);
    expect(repeatsNgram([5, 5], 5, 3)).toBe(false);
    expect(repeatsNgram([5, 5, 5], 5, 3)).toBe(true);
    expect(repeatsNgram([7, 8], 7, 1)).toBe(true);
    expect(repeatsNgram([1, 2, 3, 1, 2], 3, 0)).toBe(false);
  });
});

describe('banter-tdm/1 engine', () => {
  it('makes the same decisions as PyTorch, slice by slice, on a held-out episode with an interruption', async () => {
    expect(fixture.slices.length).toBeGreaterThan(20);
    const conv = model.createConversation();
    const first = await conv.peek(userSliceTokens(toSlice(fixture.slices[0]), tokenIds(), () => [], false));
    // the first slice of the fixture has no words, so the empty encoder above is exact
    expect(fixture.slices[0].user_words).toBe('');
    fixture.first_logits_16.forEach((v, i) => expect(Math.abs(first[i] - v)).toBeLessThan(1e-3));
    for (const [i, s] of fixture.slices.entries()) {
      await collect(conv.step(toSlice(s), never));
      const got = conv.describe().at(-1)!.decision;
      const want = s.model.filter((t) => t !== '<u>');
      expect(got, `slice ${i} (${s.start_ms} ms, ${s.tag || 'untagged'})`).toEqual(
        want.length ? want : ['<idle>'],
      );
    }
    conv.close();
  });

  it('by default a reply opens with a word: where PyTorch opens one with a mark, the likeliest word piece is taken', async () => {
    // The fixture's first slice: PyTorch's greedy choice is '.', '<eos>' (checked above).
    expect(fixture.slices[0].model.filter((t) => t !== '<u>')[0]).toBe('.');
    const registry2 = new ModelRegistry();
    const strict = await loadTdmModel(registry2, TDM_DIR);
    const conv = strict.createConversation();
    const out = await collect(conv.step(toSlice(fixture.slices[0]), never));
    expect(out[0].type).toBe('text');
    expect((out[0] as { delta: string }).delta).toMatch(/[a-z0-9]/);
    conv.close();
    await registry2.close();
  });

  it('by default a reply that starts to loop ends instead: the piece that would repeat three pieces becomes <eos>', async () => {
    const registry2 = new ModelRegistry();
    const looping = await loadTdmModel(registry2, TDM_DIR);
    const conv = looping.createConversation({
      sampler: scripted(['it', 'is', 'the', 'a', 'it', 'is', 'the', 'a']),
    });
    const out = await collect(
      conv.step(
        {
          text: 'can you help me',
          signals: [{ type: 'end_of_turn', probability: 0.95 }],
          startMs: 0,
          endMs: 400,
        },
        never,
      ),
    );
    const text = out.flatMap((o) => (o.type === 'text' ? [o.delta] : [])).join('');
    expect(text).toBe('it is the a it is');
    expect(out.at(-1)).toEqual({ type: 'end' });
    conv.close();
    await registry2.close();
  });

  it('stops generating mid-slice on abort and keeps what it wrote', async () => {
    // a caller turn that the model answers: the fixture's first answer-tagged slice and what led to it
    const conv = model.createConversation({ sampler: scripted(['it', 'is', 'the', 'a']) });
    const ac = new AbortController();
    const out: SliceOutput[] = [];
    for await (const o of conv.step(
      {
        text: 'can you help me',
        signals: [{ type: 'end_of_turn', probability: 0.95 }],
        startMs: 0,
        endMs: 400,
      },
      ac.signal,
    )) {
      out.push(o);
      if (out.length === 2) ac.abort();
    }
    expect(out).toEqual([
      { type: 'text', delta: 'it' },
      { type: 'text', delta: ' is' },
    ]);
    expect(conv.describe()[0].decision).toEqual(['it', 'is']);
    // the next slice opens with <u> and the stream goes on
    await collect(conv.step(silent(1), never));
    expect(conv.describe()[1].user[0]).toBe('<u>');
    conv.close();
  });

  it('keeps only what the caller heard of a reply it stops, and the cache equals a fresh recompute', async () => {
    const words = ['it', 'is', 'in', 'the', 'for', 'you', 'to', 'a'];
    const script = [...words.slice(0, 3), '<u>', ...words.slice(3, 6), '<u>', '<idle>', '<stop>'];
    const conv = model.createConversation({ sampler: scripted(script) });
    await collect(
      conv.step(
        { text: 'where is it', signals: [{ type: 'end_of_turn', probability: 0.9 }], startMs: 0, endMs: 400 },
        never,
      ),
    );
    await collect(conv.step(silent(1), never));
    await collect(
      conv.step(
        {
          text: '',
          signals: [{ type: 'voice' }, { type: 'barge_in' }, { type: 'heard', text: 'it is in the' }],
          startMs: 800,
          endMs: 1000,
        },
        never,
      ),
    );
    const out = await collect(conv.step({ text: 'wait no', signals: [], startMs: 1000, endMs: 1400 }, never));
    expect(out).toEqual([{ type: 'stop' }]);
    const d = conv.describe();
    expect(d[0].decision).toEqual(['it', 'is', 'in']);
    expect(d[1].decision).toEqual(['the']);
    expect(d.at(-1)!.decision).toEqual(['<stop>']);
    // rollback + refeed gives the same next-step logits as feeding the truncated stream from scratch
    const fresh = model.createConversation();
    const tokens = conv.tokens();
    const probe = [tokens[0]];
    const a = await conv.peek(probe);
    const b = await fresh.peek([...tokens, ...probe]);
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
    expect(worst).toBeLessThan(1e-3);
    conv.close();
    fresh.close();
  });

  it('drops the oldest slices and recomputes when the stream outgrows the positions', async () => {
    const conv = model.createConversation();
    const n = Math.ceil(model.maxPositions / 3) + 20;
    for (let i = 0; i < n; i++) await collect(conv.step(silent(i), never));
    expect(conv.compactions).toBeGreaterThanOrEqual(1);
    expect(conv.tokens().length).toBeLessThanOrEqual(model.maxPositions);
    expect(conv.describe()[0].user[0]).toBe('<u>');
    conv.close();
  });

  it('refuses a folder whose manifest does not match the graph or the tokenizer', async () => {
    const manifest = await readJson<
      Record<string, unknown> & { tdm: { layers: number }; vocab: { size: number } }
    >(path.join(TDM_DIR, 'manifest.json'));
    const bad = async (name: string, edit: (m: typeof manifest) => void) => {
      const dir = path.join(tmp, name);
      await cp(TDM_DIR, dir, { recursive: true });
      const m = structuredClone(manifest);
      edit(m);
      await writeFile(path.join(dir, 'manifest.json'), JSON.stringify(m));
      return loadTdmModel(new ModelRegistry(), dir).then(
        () => null,
        (e: unknown) => e,
      );
    };
    const layers = await bad('layers', (m) => (m.tdm.layers += 1));
    expect(layers).toBeInstanceOf(ModelError);
    expect((layers as ModelError).code).toBe('model_mismatch');
    expect((layers as ModelError).message).toContain(`present.${manifest.tdm.layers}.key`);
    const vocab = await bad('vocab', (m) => (m.vocab.size += 1));
    expect((vocab as ModelError).code).toBe('model_mismatch');
    const contract = await bad('contract', (m) => ((m.tdm as Record<string, unknown>).contract = 'other/1'));
    expect((contract as ModelError).code).toBe('manifest_invalid');
  });
});

/** A sampler that writes the given token texts in order, then whatever the model says. */
function scripted(tokens: string[]): (logits: Float32Array) => number {
  const queue = [...tokens];
  return (logits) => {
    const next = queue.shift();
    return next === undefined ? argmax(logits) : idOf(next);
  };
}

let vocabIds: Map<string, number> | null = null;
function idOf(text: string): number {
  const id = vocabIds?.get(text);
  if (id === undefined) throw new Error(`token ${text} not in the test vocabulary`);
  return id;
}

function tokenIds(): TdmTokenIds {
  return {
    user: idOf('<u>'),
    assistant: idOf('<a>'),
    vad: idOf('<vad>'),
    bargeIn: idOf('<bi>'),
    done: idOf('<done>'),
    eot: [0, 1, 2, 3, 4].map((i) => idOf(`<eot${i}>`)),
    idle: idOf('<idle>'),
    cont: idOf('<cont>'),
    stop: idOf('<stop>'),
    eos: idOf('<eos>'),
  };
}

beforeAll(async () => {
  const tok = await readJson<{ model: { vocab: Record<string, number> } }>(
    path.join(TDM_DIR, 'tokenizer.json'),
  );
  vocabIds = new Map(Object.entries(tok.model.vocab));
});
