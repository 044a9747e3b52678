/**
 * The sherpa-onnx backend against a real (tiny, random-weight) streaming zipformer2-CTC folder,
 * server/asr/testdata/tiny-sherpa-zipformer2-ctc, made by
 * models/training/asr/make_sherpa_test_model.py. Its transcripts mean nothing; its contract (the
 * metadata, inputs, outputs and caches sherpa-onnx reads) is real, and sherpa-onnx-node runs it.
 *
 * The folder checks run without sherpa-onnx-node (they happen before it is loaded); the
 * recognition tests skip where the optional package is not installed.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readWav } from '../audio/wav.ts';
import { ModelError, ModelRegistry } from '../models/registry.ts';
import { CtcStream, loadCtcRecognizer } from './ctc-recognizer.ts';
import type { Transcript } from './recognizer.ts';
import { SherpaOptions } from './recognizers.ts';
import {
  detectLayout,
  joinWords,
  loadSherpaRecognizer,
  readOnnxMetadata,
  requireSherpa,
  wordsFromTokens,
} from './sherpa-recognizer.ts';

const TINY = new URL('./testdata/tiny-sherpa-zipformer2-ctc/', import.meta.url).pathname;
const options = SherpaOptions.parse({});
const speech = readWav(new URL('../../fixtures/audio/speech_rms.wav', import.meta.url).pathname);

let sherpaError: string | null = null;
try {
  createRequire(import.meta.url)('sherpa-onnx-node');
} catch (err) {
  sherpaError = String((err as Error).message).split('\n')[0];
}
if (sherpaError)
  console.warn(`sherpa-recognizer tests skipped: sherpa-onnx-node cannot be loaded (${sherpaError})`);

const scratch: string[] = [];
afterAll(() => scratch.forEach((d) => rmSync(d, { recursive: true, force: true })));
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'banter-sherpa-'));
  scratch.push(d);
  return d;
};

async function codeOf(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ModelError);
    return { code: (err as ModelError).code, message: (err as Error).message };
  }
  throw new Error('expected a ModelError');
}

describe('sherpa-onnx folder layouts (no sherpa needed)', () => {
  it('tells the three streaming layouts apart and prefers the float export', () => {
    const t = [
      'encoder-epoch-99-avg-1.int8.onnx',
      'encoder-epoch-99-avg-1.onnx',
      'decoder-epoch-99-avg-1.onnx',
    ];
    expect(detectLayout('/m', [...t, 'joiner-epoch-99-avg-1.int8.onnx', 'tokens.txt', 'bpe.model'])).toEqual({
      kind: 'transducer',
      encoder: 'encoder-epoch-99-avg-1.onnx',
      decoder: 'decoder-epoch-99-avg-1.onnx',
      joiner: 'joiner-epoch-99-avg-1.int8.onnx',
    });
    expect(detectLayout('/m', [...t, 'joiner-epoch-99-avg-1.onnx'], 'int8')).toMatchObject({
      encoder: 'encoder-epoch-99-avg-1.int8.onnx',
    });
    expect(detectLayout('/m', ['encoder.int8.onnx', 'decoder.int8.onnx', 'tokens.txt'])).toEqual({
      kind: 'paraformer',
      encoder: 'encoder.int8.onnx',
      decoder: 'decoder.int8.onnx',
    });
    expect(
      detectLayout('/m', [
        'ctc-epoch-20-avg-1-chunk-16-left-128.int8.onnx',
        'ctc-epoch-20-avg-1-chunk-16-left-128.onnx',
      ]),
    ).toEqual({ kind: 'zipformer2-ctc', model: 'ctc-epoch-20-avg-1-chunk-16-left-128.onnx' });
  });

  it('names what is missing, and refuses to guess between two files for one role', () => {
    const err = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e as ModelError;
      }
      throw new Error('expected a ModelError');
    };
    const noJoinerNoDecoder = err(() => detectLayout('/m', ['encoder.onnx', 'tokens.txt']));
    expect(noJoinerNoDecoder.code).toBe('model_missing');
    expect(noJoinerNoDecoder.message).toMatch(
      /no decoder\*\.onnx.*expected a sherpa-onnx streaming model folder/,
    );
    expect(err(() => detectLayout('/m', ['tokens.txt', 'README.md'])).code).toBe('model_missing');
    expect(err(() => detectLayout('/m', ['joiner.onnx', 'decoder.onnx'])).message).toMatch(
      /no encoder\*\.onnx/,
    );
    expect(err(() => detectLayout('/m', ['a.onnx', 'b.onnx'])).code).toBe('model_mismatch');
  });

  it('builds words from BPE tokens, joins characters, keeps CJK characters apart', () => {
    const w = wordsFromTokens(
      [' I', "'D", ' LIKE', ' ', 'TO', ' BOOK', 'ING'],
      [0, 0.08, 0.2, 0.4, 0.44, 1, 1.04],
      1000,
      5000,
    );
    expect(w.map((x) => x.text)).toEqual(["I'D", 'LIKE', 'TO', 'BOOKING']);
    expect(w[0]).toEqual({ text: "I'D", startMs: 1000, endMs: 1120 });
    expect(w[3]).toEqual({ text: 'BOOKING', startMs: 2000, endMs: 2080 });
    expect(wordsFromTokens(['▁HE', 'LLO'], [0, 0.04], 0, 10).at(-1)).toEqual({
      text: 'HELLO',
      startMs: 0,
      endMs: 10,
    });
    const zh = wordsFromTokens(['你', '好', ' OK'], [0, 0.1, 0.2], 0, 1000);
    expect(zh.map((x) => x.text)).toEqual(['你', '好', 'OK']);
    expect(joinWords(zh)).toBe('你好 OK');
    // No timestamps (some models): every word spans the utterance.
    expect(wordsFromTokens([' A'], [], 100, 900)).toEqual([{ text: 'A', startMs: 100, endMs: 900 }]);
  });

  it('reads ONNX custom metadata off the protobuf', async () => {
    const meta = await readOnnxMetadata(join(TINY, 'model.onnx'));
    expect(meta.get('model_type')).toBe('zipformer2');
    expect(meta.get('T')).toBe('45');
    expect(meta.get('decode_chunk_len')).toBe('32');
  });

  it('a missing folder or tokens.txt is model_missing, naming the folder and the layout', async () => {
    const gone = await codeOf(loadSherpaRecognizer('/nonexistent/sherpa-model', options));
    expect(gone.code).toBe('model_missing');
    expect(gone.message).toContain('/nonexistent/sherpa-model');
    expect(gone.message).toContain('tokens.txt plus either encoder*.onnx');

    const dir = tempDir();
    cpSync(join(TINY, 'model.onnx'), join(dir, 'model.onnx'));
    const noTokens = await codeOf(loadSherpaRecognizer(dir, options));
    expect(noTokens.code).toBe('model_missing');
    expect(noTokens.message).toMatch(/tokens\.txt not found/);

    const empty = tempDir();
    writeFileSync(join(empty, 'tokens.txt'), '<blk> 0\n');
    expect((await codeOf(loadSherpaRecognizer(empty, options))).code).toBe('model_missing');
  });

  it('a truncated or garbage .onnx is model_corrupt (before sherpa, which would abort the process)', async () => {
    const bytes = readFileSync(join(TINY, 'model.onnx'));
    for (const body of [
      bytes.subarray(0, bytes.length >> 1),
      Buffer.from('this is not a protobuf'.repeat(50)),
    ]) {
      const dir = tempDir();
      cpSync(join(TINY, 'tokens.txt'), join(dir, 'tokens.txt'));
      writeFileSync(join(dir, 'model.onnx'), body);
      const got = await codeOf(loadSherpaRecognizer(dir, options));
      expect(got.code).toBe('model_corrupt');
      expect(got.message).toContain('model.onnx');
    }
  });

  it('a model that lacks what sherpa reads, or tokens that do not cover it, is model_mismatch', async () => {
    const noMeta = tempDir();
    cpSync(join(TINY, 'tokens.txt'), join(noMeta, 'tokens.txt'));
    // banter's own CTC graph: a valid ONNX file with none of sherpa's metadata.
    cpSync(new URL('./testdata/tiny-ctc/model.onnx', import.meta.url).pathname, join(noMeta, 'model.onnx'));
    const meta = await codeOf(loadSherpaRecognizer(noMeta, options));
    expect(meta.code).toBe('model_mismatch');
    expect(meta.message).toMatch(/lacks the metadata encoder_dims/);

    const short = tempDir();
    cpSync(join(TINY, 'model.onnx'), join(short, 'model.onnx'));
    writeFileSync(
      join(short, 'tokens.txt'),
      readFileSync(join(TINY, 'tokens.txt'), 'utf8').split('\n').slice(0, 10).join('\n'),
    );
    const vocab = await codeOf(loadSherpaRecognizer(short, options));
    expect(vocab.code).toBe('model_mismatch');
    expect(vocab.message).toMatch(/20 symbols but tokens\.txt lacks id\(s\) 10/);
  });

  it('without sherpa-onnx-node, says to install it', () => {
    try {
      requireSherpa('sherpa-onnx-node-not-here', '/m');
      throw new Error('expected a ModelError');
    } catch (err) {
      expect((err as ModelError).code).toBe('model_missing');
      expect((err as Error).message).toContain('npm install sherpa-onnx-node');
    }
  });
});

describe.skipIf(sherpaError !== null)('sherpa-onnx recognizer (tiny zipformer2-CTC fixture)', () => {
  const first = speech.samples.subarray(0, 16000 * 4.2); // silence, "I'd like to book a table...", silence
  const push = async (
    stream: { push(s: Float32Array, at: number): Promise<void> },
    audio: Float32Array,
    piece: number,
    atMs: number,
  ) => {
    for (let at = 0; at < audio.length; at += piece)
      await stream.push(audio.subarray(at, at + piece), atMs + (at * 1000) / 16000);
  };

  it('loads the folder, labelled by its name', async () => {
    const rec = await loadSherpaRecognizer(TINY, options);
    expect(rec.label).toBe('sherpa-onnx:tiny-sherpa-zipformer2-ctc');
    rec.close?.();
  });

  it('partials while speech comes in, then exactly one final per endpoint, on the session clock', async () => {
    const rec = await loadSherpaRecognizer(TINY, options);
    const got: Transcript[] = [];
    const stream = rec.createStream((t) => got.push(t));
    const atMs = 60_000;
    await push(stream, first, 320, atMs);
    expect(got.length).toBeGreaterThan(0);
    expect(got.every((t) => t.kind === 'partial')).toBe(true);
    // A partial is sent only when its text changed.
    const texts = got.map((t) => `${t.stable}|${t.unstable}`);
    expect(new Set(texts).size).toBe(texts.length);
    for (const p of got) {
      expect(p.unstable).toBe(p.words.at(-1)!.text);
      expect(p.stable).toBe(joinWords(p.words.slice(0, -1)));
    }

    const before = got.length;
    await stream.endpoint(); // the listener has run by the time endpoint resolves
    expect(got.length).toBe(before + 1);
    const final = got.at(-1)!;
    expect(final.kind).toBe('final');
    expect(final.unstable).toBe('');
    expect(final.words.length).toBeGreaterThan(0);
    expect(final.stable).toBe(joinWords(final.words));
    // Speech starts 1.02 s into the file: the words are there on the session clock, not before.
    expect(final.startMs).toBeGreaterThanOrEqual(atMs + 900);
    expect(final.endMs).toBeCloseTo(atMs + (first.length * 1000) / 16000, 6);
    for (const w of final.words) {
      expect(w.startMs).toBeGreaterThanOrEqual(atMs + 900);
      expect(w.endMs).toBeGreaterThanOrEqual(w.startMs);
      expect(w.endMs).toBeLessThanOrEqual(final.endMs);
    }

    // An endpoint with nothing pushed since still finalizes (empty), once.
    await stream.endpoint();
    expect(got.length).toBe(before + 2);
    expect(got.at(-1)).toMatchObject({ kind: 'final', stable: '', words: [] });

    // The next utterance starts at its own first push, with fresh model state.
    const second = speech.samples.subarray(16000 * 5, 16000 * 9);
    const n = got.length;
    await push(stream, second, 1600, atMs + 5000);
    await stream.endpoint();
    const finals = got.slice(n).filter((t) => t.kind === 'final');
    expect(finals).toHaveLength(1);
    expect(finals[0].startMs).toBeGreaterThanOrEqual(atMs + 5000);
    stream.close();
    rec.close?.();
  });

  it('any chunking of the audio gives the same final', async () => {
    const rec = await loadSherpaRecognizer(TINY, options);
    const finals: Transcript[] = [];
    for (const piece of [160, 999, 16000]) {
      const got: Transcript[] = [];
      const stream = rec.createStream((t) => got.push(t));
      await push(stream, first, piece, 500);
      await stream.endpoint();
      finals.push(got.at(-1)!);
      stream.close();
    }
    expect(finals[1]).toEqual(finals[0]);
    expect(finals[2]).toEqual(finals[0]);
  });

  it('silence gives an empty final; reset drops an utterance without one', async () => {
    const rec = await loadSherpaRecognizer(TINY, options);
    const got: Transcript[] = [];
    const stream = rec.createStream((t) => got.push(t));
    await push(stream, speech.samples.subarray(0, 16000 * 0.9), 320, 0);
    await stream.endpoint();
    expect(got).toEqual([{ kind: 'final', stable: '', unstable: '', words: [], startMs: 0, endMs: 900 }]);

    await push(stream, first, 1600, 10_000);
    stream.reset();
    await push(stream, speech.samples.subarray(0, 16000 * 0.5), 1600, 20_000);
    await stream.endpoint();
    expect(got.at(-1)).toMatchObject({ kind: 'final', words: [], startMs: 20_000, endMs: 20_500 });
  });

  it('close() stops transcripts', async () => {
    const rec = await loadSherpaRecognizer(TINY, options);
    const got: Transcript[] = [];
    const stream = rec.createStream((t) => got.push(t));
    await push(stream, first.subarray(0, 16000 * 2), 320, 0);
    const seen = got.length;
    stream.close();
    await push(stream, first.subarray(16000 * 2), 320, 2000);
    await stream.endpoint();
    expect(got.length).toBe(seen);
  });

  it('onnxruntime-node still computes what it did with sherpa-onnx (and its own onnxruntime) loaded', async () => {
    await loadSherpaRecognizer(TINY, options);
    const dir = new URL('./testdata/tiny-ctc/', import.meta.url).pathname;
    const parity = JSON.parse(readFileSync(join(dir, 'parity.json'), 'utf8')) as {
      tolerance: number;
      cases: { feats: number[][]; log_probs: number[][] }[];
    };
    const registry = new ModelRegistry();
    const rec = await loadCtcRecognizer(dir, registry);
    const stream = rec.createStream(() => {}) as CtcStream;
    const out = (await stream.pushFeatures(parity.cases[0].feats.map((f) => Float32Array.from(f)))).flatMap(
      (c) => [...c],
    );
    const want = parity.cases[0].log_probs.flat().slice(0, out.length);
    expect(out.length).toBeGreaterThan(0);
    expect(Math.max(...out.map((x, i) => Math.abs(x - want[i])))).toBeLessThan(parity.tolerance);
    await registry.close();
  });
});
