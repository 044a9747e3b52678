import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { concatFloat32 } from '../audio/buffers.ts';
import { ModelError, ModelRegistry } from '../models/registry.ts';
import { loadCodec } from './codec/onnx-codec.ts';
import { loadCodecLm } from './codec-lm/codec-lm.ts';
import { CodecLmSynthesizer, CodecLmTtsOptions, phonemeIds, ttsWords } from './codec-lm-synthesizer.ts';
import { ReplyHandle, type ReplySink } from '../session/reply.ts';
import type { SpokenWord, SynthesisChunk } from './synthesizer.ts';

const testdata = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const registry = new ModelRegistry();
afterAll(() => registry.close());

async function* deltas(...parts: string[]): AsyncIterable<string> {
  for (const p of parts) yield p;
}

async function tiny(pattern = 'stack-delay', options: Partial<CodecLmTtsOptions> = {}) {
  const lm = await loadCodecLm(testdata(`./codec-lm/testdata/tiny-${pattern}/`), registry);
  const { decoder } = await loadCodec(testdata('./codec/testdata/tiny-codec/'), registry);
  // The random tiny LM seldom writes EOS: a short clause limit ends each clause.
  return new CodecLmSynthesizer(
    lm,
    decoder,
    CodecLmTtsOptions.parse({ maxClauseMs: 300, firstClauseWaitMs: 0, ...options }),
  );
}

describe('codec-LM text front end', () => {
  it('splits a clause into spoken words with the mark after each, as the TTS data does', () => {
    expect(ttsWords('Hello there, how are you?')).toEqual([
      { word: 'hello', punct: '' },
      { word: 'there', punct: ',' },
      { word: 'how', punct: '' },
      { word: 'are', punct: '' },
      { word: 'you', punct: '?' },
    ]);
    expect(ttsWords('It\u2019s booked -- okay.')).toEqual([
      { word: "it's", punct: '' },
      { word: 'booked', punct: '' },
      { word: 'okay', punct: '.' },
    ]);
  });

  it('encodes phonemes as models/training/codec_lm/data.py does: characters, a space between words, the mark after its word', () => {
    const vocab = ['<pad>', '<unk>', ' ', ',', '.', '?', '!', 'a', 'b', 'ˈ'];
    const ids = phonemeIds(
      [
        { phonemes: 'ˈab', punct: ',' },
        { phonemes: 'bz', punct: '' },
      ],
      vocab,
    );
    expect(ids).toEqual([9, 7, 8, 3, 2, 8, 1]);
  });
});

describe('CodecLmSynthesizer over the tiny random models (plumbing, not a voice)', () => {
  it('speaks each clause in chunks of whole codec frames, every word once and in order', async () => {
    const synth = await tiny();
    const chunks: SynthesisChunk[] = [];
    for await (const c of synth.synthesize(
      deltas('Hello there, ', 'how are you today?'),
      new AbortController().signal,
    ))
      chunks.push(c);
    const samples = chunks.reduce((n, c) => n + c.pcm.length, 0);
    expect(samples).toBeGreaterThan(0);
    expect(samples % 160).toBe(0); // the tiny codec's 10 ms frames
    const words = chunks.flatMap((c) => c.words);
    expect(words.map((w) => w.text)).toEqual(['hello', 'there', 'how', 'are', 'you', 'today']);
    for (let i = 1; i < words.length; i++)
      expect(words[i].startMs).toBeGreaterThanOrEqual(words[i - 1].startMs);
    for (const w of words) expect(w.endMs).toBeGreaterThanOrEqual(w.startMs);
    expect(words.at(-1)!.endMs).toBeLessThanOrEqual(samples / 16 + 1e-6);
  });

  it.each(['flat', 'delay', 'stack-delay'])('stops at once when its signal aborts (%s)', async (pattern) => {
    const synth = await tiny(pattern, { maxClauseMs: 2000 });
    const abort = new AbortController();
    let after = 0;
    let chunks = 0;
    for await (const c of synth.synthesize(deltas('one two three four five six.'), abort.signal)) {
      chunks++;
      if (abort.signal.aborted) after += c.pcm.length;
      if (chunks === 2) abort.abort();
    }
    expect(chunks).toBe(2);
    expect(after).toBe(0);
  });

  it('refuses a codec whose tokens are not the LM\u2019s (model_mismatch)', async () => {
    const lm = await loadCodecLm(testdata('./codec-lm/testdata/tiny-flat/'), registry);
    const { decoder } = await loadCodec(testdata('./codec/testdata/encodec-like/'), registry);
    expect(() => new CodecLmSynthesizer(lm, decoder)).toThrow(ModelError);
  });
});

describe('a codec-LM reply paused mid-word and resumed', () => {
  it('plays on from the start of the word it was cut in: no frame repeated or skipped after that point', async () => {
    const synth = await tiny('delay', { maxClauseMs: 600 });
    const written: Float32Array[] = [];
    let played = 0;
    const sink: ReplySink = {
      write: (pcm) => void written.push(Float32Array.from(pcm)),
      finish: (onSent) => onSent(),
      cut: () => undefined,
      playedMs: () => played,
      queuedEndMs: () => played,
      room: () => Promise.resolve(),
    };
    const handle = new ReplyHandle('r1', 'reply', 0, sink, true, {}, true);
    const all: Float32Array[] = [];
    const words: SpokenWord[] = [];
    let paused = false;
    let resumeAtMs = 0;
    for await (const chunk of synth.synthesize(deltas('one two three, four five six.'), handle.signal)) {
      handle.push(chunk.pcm);
      all.push(chunk.pcm);
      words.push(...chunk.words);
      const pushedMs = all.reduce((n, p) => n + p.length, 0) / 16;
      if (!paused && all.length === 3) {
        // The caller heard all but the last 10 ms: the reply pauses there, mid-frame.
        played = pushedMs - 10;
        expect(handle.pause()).toBe(true);
        paused = true;
        resumeAtMs = words.filter((w) => w.startMs <= played).at(-1)?.startMs ?? 0;
      }
    }
    handle.end();
    expect(paused).toBe(true);
    const before = written.length;
    expect(handle.resume(resumeAtMs)).toBe(true);
    const after = written.slice(before);
    const replay = concatFloat32(after);
    const full = concatFloat32(all);
    const from = Math.round(resumeAtMs * 16);
    expect(replay.length).toBe(full.length - from);
    expect(replay.every((v, i) => v === full[from + i])).toBe(true);
    expect((await handle.done).reason).toBe('done');
  });
});
