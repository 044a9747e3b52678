/**
 * Speaker encoders load and compute what their training side computed: banter's own model
 * (parity with PyTorch on a committed fixture, through the TypeScript fbank), a stand-in with
 * WeSpeaker's ONNX interface, and coded errors for manifests that do not fit the graph.
 */
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readWav } from '../audio/wav.ts';
import { bundledModelDir, ModelRegistry } from '../models/registry.ts';
import { cosine, loadSpeakerEncoder } from './speaker-encoder.ts';

const repo = (p: string) => new URL(`../../${p}`, import.meta.url).pathname;
const fake = new URL('./testdata/wespeaker-like/', import.meta.url).pathname;
const registry = new ModelRegistry();

interface Span {
  wav: string;
  start_s: number;
  end_s: number;
  embedding: number[];
}
const clip = (s: Pick<Span, 'wav' | 'start_s' | 'end_s'>) => {
  const { samples, sampleRate } = readWav(repo(s.wav));
  return samples.subarray(Math.round(s.start_s * sampleRate), Math.round(s.end_s * sampleRate));
};

describe('banter speaker encoder (models/speaker)', () => {
  it('gives the embedding PyTorch gave, from raw audio through the TypeScript fbank', async () => {
    const encoder = await loadSpeakerEncoder(bundledModelDir('speaker'), registry);
    const parity = JSON.parse(readFileSync(bundledModelDir('speaker') + 'parity.json', 'utf8')) as {
      tolerance: number;
      cases: Span[];
    };
    expect(encoder.dimension).toBe(192);
    for (const c of parity.cases) {
      const { vector } = await encoder.embed(clip(c));
      const worst = Math.max(...c.embedding.map((v, i) => Math.abs(v - vector[i])));
      expect(worst).toBeLessThan(parity.tolerance);
      expect(cosine(vector, Float32Array.from(c.embedding))).toBeGreaterThan(0.999);
    }
  });

  it('scores two utterances of one voice above the same utterance against another voice', async () => {
    const encoder = await loadSpeakerEncoder(bundledModelDir('speaker'), registry);
    const embed = async (wav: string, a: number, b: number) =>
      (await encoder.embed(clip({ wav, start_s: a, end_s: b }))).vector;
    // Evaluation caller voices (never trained on): flite rms and espeak-ng en-gb-scotland.
    const rms1 = await embed('fixtures/audio/speech_rms.wav', 1.02, 3.84);
    const rms2 = await embed('fixtures/audio/speech_rms.wav', 5.38, 8.71);
    const scot = await embed('fixtures/audio/speech_scotland.wav', 1.02, 3.89);
    expect(cosine(rms1, rms2)).toBeGreaterThan(cosine(rms1, scot) + 0.1);
  });
});

describe('a WeSpeaker-shaped model (feats -> embs, raw vectors)', () => {
  it('is fed mean-normalized fbank under its own tensor names and returns a unit vector', async () => {
    const encoder = await loadSpeakerEncoder(fake, registry);
    const expected = JSON.parse(readFileSync(fake + 'expected.json', 'utf8')) as Span;
    const { vector, speechMs } = await encoder.embed(clip(expected));
    expect(speechMs).toBeCloseTo(2000, 0);
    expect(Math.hypot(...vector)).toBeCloseTo(1, 5);
    expect(cosine(vector, Float32Array.from(expected.embedding))).toBeGreaterThan(0.9999);
  });

  const broken = (edit: (m: Record<string, unknown>) => void) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'banter-spk-'));
    cpSync(fake, dir, { recursive: true });
    const manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    edit(manifest);
    writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
    return dir;
  };

  type Edit = (m: Record<string, unknown>) => void;
  const cases: { what: string; edit: Edit; code: string; why: RegExp }[] = [
    {
      what: 'no speaker section',
      edit: (m) => delete m.speaker,
      code: 'manifest_invalid',
      why: /section "speaker"/,
    },
    {
      what: 'a width the graph does not have',
      edit: (m) => ((m.speaker as { embedding_dim: number }).embedding_dim = 192),
      code: 'model_mismatch',
      why: /output width 16/,
    },
    {
      what: 'an unknown contract',
      edit: (m) => ((m.speaker as { contract: string }).contract = 'wav-embedding/1'),
      code: 'manifest_invalid',
      why: /contract/,
    },
  ];
  it.each(cases)('refuses a manifest with $what ($code)', async ({ edit, code, why }) => {
    await expect(loadSpeakerEncoder(broken(edit), new ModelRegistry())).rejects.toMatchObject({
      code,
      message: expect.stringMatching(why),
    });
  });
});
