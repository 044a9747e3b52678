import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { readWav } from '../../audio/wav.ts';
import { ModelError, ModelRegistry } from '../../models/registry.ts';
import {
  CodecError,
  type CodeFrames,
  codeFrames,
  concatFrames,
  keepCodebooks,
  sliceFrames,
} from './codec.ts';
import { loadCodec } from './onnx-codec.ts';

const testdata = fileURLToPath(new URL('./testdata/', import.meta.url));
const repo = fileURLToPath(new URL('../../../', import.meta.url));
const tiny = join(testdata, 'tiny-codec');
const encodecLike = join(testdata, 'encodec-like');

interface Parity {
  tolerance: number;
  cases: { name: string; wav?: string; samples?: number; codes: number[][]; audio: number[] }[];
}
const parity = JSON.parse(readFileSync(join(tiny, 'parity.json'), 'utf8')) as Parity;

const registry = new ModelRegistry();
afterAll(() => registry.close());

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Decode `codes` chunk by chunk with the given chunk sizes (cycled). */
async function streamed(
  decoder: Awaited<ReturnType<typeof loadCodec>>['decoder'],
  codes: CodeFrames,
  sizes: number[],
): Promise<Float32Array> {
  const out = new Float32Array(codes.frames * decoder.frameSamples);
  let state = decoder.initialState();
  for (let at = 0, i = 0; at < codes.frames; i++) {
    const n = sizes[i % sizes.length];
    const r = await decoder.decodeChunk(sliceFrames(codes, at, at + n), state);
    out.set(r.pcm, at * decoder.frameSamples);
    state = r.state;
    at += n;
  }
  return out;
}

describe('banter codec graphs (the tiny random fixture)', () => {
  it('decodes what PyTorch decoded, with all codebooks and with the first two', async () => {
    const { decoder } = await loadCodec(tiny, registry);
    expect(decoder.exactStreaming).toBe(true);
    for (const c of parity.cases) {
      const pcm = await decoder.decode(codeFrames(c.codes));
      expect(maxDiff(pcm, c.audio), c.name).toBeLessThan(parity.tolerance);
    }
  });

  it('encodes the fixture recording to the tokens PyTorch found', async () => {
    const { encoder } = await loadCodec(tiny, registry);
    const c = parity.cases[0];
    const wav = readWav(join(repo, c.wav!));
    const codes = await encoder!.encode(wav.samples.subarray(0, c.samples));
    const want = codeFrames(c.codes);
    expect([codes.codebooks, codes.frames]).toEqual([want.codebooks, want.frames]);
    let same = 0;
    for (let i = 0; i < want.data.length; i++) same += Number(codes.data[i] === want.data[i]);
    expect(same / want.data.length).toBeGreaterThan(0.98); // float rounding may flip a near tie
  });

  it('encodes less than one frame of audio to no frames, not an onnxruntime error', async () => {
    const { encoder } = await loadCodec(tiny, registry);
    const codes = await encoder!.encode(new Float32Array(encoder!.frameSamples - 1));
    expect([codes.codebooks, codes.frames, codes.data.length]).toEqual([encoder!.codebooks, 0, 0]);
  });

  it('streams chunk by chunk to exactly the whole decode, and resumes from a kept state', async () => {
    const { decoder } = await loadCodec(tiny, registry);
    const codes = codeFrames(parity.cases[0].codes);
    const whole = await decoder.decode(codes);
    for (const sizes of [[1], [3, 1, 7], [16, 2]]) {
      expect(maxDiff(await streamed(decoder, codes, sizes), whole), `chunks ${sizes}`).toBeLessThan(1e-5);
    }
    const first = await decoder.decodeChunk(sliceFrames(codes, 0, 10), decoder.initialState());
    const a = await decoder.decodeChunk(sliceFrames(codes, 10, 20), first.state);
    const b = await decoder.decodeChunk(sliceFrames(codes, 10, 20), first.state);
    expect(maxDiff(a.pcm, b.pcm)).toBe(0);
    expect(a.state.frames).toBe(20);
  });

  it('decodes the first k codebooks alone through the absent token', async () => {
    const { decoder } = await loadCodec(tiny, registry);
    const codes = codeFrames(parity.cases[0].codes);
    const coarse = await decoder.decode(keepCodebooks(codes, 2, decoder.absentToken!));
    expect(maxDiff(coarse, parity.cases[1].audio)).toBeLessThan(parity.tolerance);
    expect(maxDiff(coarse, await decoder.decode(codes))).toBeGreaterThan(1e-3);
  });

  it('refuses tokens outside the codebooks and the wrong number of codebooks (codes_invalid)', async () => {
    const { decoder } = await loadCodec(tiny, registry);
    const s = decoder.initialState();
    const k = decoder.codebooks;
    const frame = (t: number, kk = k) => codeFrames(Array.from({ length: kk }, () => [t]));
    await expect(decoder.decodeChunk(frame(decoder.codebookSize + 1), s)).rejects.toThrow(CodecError);
    await expect(decoder.decodeChunk(frame(-1), s)).rejects.toThrow(/codes_invalid/);
    await expect(decoder.decodeChunk(frame(0, k + 1), s)).rejects.toThrow(/codebooks given/);
    expect((await decoder.decodeChunk(frame(0), s)).pcm.length).toBe(decoder.frameSamples);
  });
});

/** The parts of a codec manifest the mismatch tests edit. */
interface EditableManifest {
  inputs: { shape: (number | string)[] }[];
  rates: { frames_per_second?: number };
  codec?: {
    contract: string;
    codebooks: number;
    codebook_size: number;
    absent_token?: number;
    frame_samples: number;
    decoder: { state: { size: number } };
  };
}

describe('a codec folder that does not match its manifest', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  function edited(edit: (m: EditableManifest) => void): string {
    const dir = mkdtempSync(join(tmpdir(), 'banter-codec-'));
    dirs.push(dir);
    cpSync(tiny, dir, { recursive: true });
    const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    edit(m);
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(m));
    return dir;
  }

  it.each([
    ['more codebooks than the graph', (m: EditableManifest) => (m.codec!.codebooks = 8), /codebooks is 8/],
    [
      'the graph inputs too',
      (m: EditableManifest) => ((m.codec!.codebooks = 8), (m.inputs[0].shape[1] = 8)),
      /dimension 1/,
    ],
    [
      'a smaller codebook size',
      (m: EditableManifest) => (m.codec!.codebook_size = 32),
      /more entries than codec.codebook_size 32/,
    ],
    [
      'a larger codebook size',
      (m: EditableManifest) => ((m.codec!.codebook_size = 128), (m.codec!.absent_token = 128)),
      /decoding token 127 failed/,
    ],
    [
      'the wrong frame length',
      (m: EditableManifest) => ((m.codec!.frame_samples = 320), delete m.rates.frames_per_second),
      /not 320/,
    ],
    ['the wrong state size', (m: EditableManifest) => (m.codec!.decoder.state.size = 100), /state "state"/],
  ])('%s is a start-up model_mismatch', async (_name, edit, message) => {
    const err = await loadCodec(edited(edit), new ModelRegistry()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelError);
    expect((err as ModelError).code).toBe('model_mismatch');
    expect(String(err)).toMatch(message);
  });

  it('an unknown contract or a missing section is manifest_invalid', async () => {
    for (const edit of [
      (m: EditableManifest) => (m.codec!.contract = 'snac/1'),
      (m: EditableManifest) => delete m.codec,
    ]) {
      const err = await loadCodec(edited(edit), new ModelRegistry()).catch((e: unknown) => e);
      expect((err as ModelError).code).toBe('manifest_invalid');
    }
  });
});

describe('an external stateless decoder (EnCodec-like fixture)', () => {
  const expected = JSON.parse(readFileSync(join(encodecLike, 'expected.json'), 'utf8')) as {
    codes: number[][];
    audio: number[];
  };

  it('loads without an encoder, decodes [B, 1, samples] audio at its own rate', async () => {
    const { decoder, encoder } = await loadCodec(encodecLike, registry);
    expect(encoder).toBeNull();
    expect([decoder.sampleRate, decoder.frameSamples, decoder.exactStreaming]).toEqual([24000, 480, false]);
    const pcm = await decoder.decode(codeFrames(expected.codes));
    expect(maxDiff(pcm, expected.audio)).toBeLessThan(1e-5);
  });

  it('streams with its frames of left context (exact here: the fixture looks one frame back)', async () => {
    const { decoder } = await loadCodec(encodecLike, registry);
    const codes = codeFrames(expected.codes);
    expect(maxDiff(await streamed(decoder, codes, [1, 2, 5]), expected.audio)).toBeLessThan(1e-5);
  });
});

describe('token frames', () => {
  it('slice, join and keep codebooks as [K, T] arrays', () => {
    const c = codeFrames([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(Array.from(sliceFrames(c, 1).data)).toEqual([2, 3, 5, 6]);
    expect(Array.from(concatFrames(sliceFrames(c, 0, 1), sliceFrames(c, 1)).data)).toEqual(
      Array.from(c.data),
    );
    expect(Array.from(keepCodebooks(c, 1, 9).data)).toEqual([1, 2, 3, 9, 9, 9]);
    expect(() => codeFrames([[1, 2], [3]])).toThrow(CodecError);
  });
});
