/**
 * The CTC recognizer's runtime against a real exported graph: server/asr/testdata/tiny-ctc is a
 * tiny random-weight model made by models/training/asr/make_test_model.py with the same export
 * code as the real one. Its transcripts mean nothing; its numbers and its contract are real.
 */
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readWav } from '../audio/wav.ts';
import { ModelRegistry } from '../models/registry.ts';
import { CtcStream, loadCtcRecognizer } from './ctc-recognizer.ts';
import type { Transcript } from './recognizer.ts';

const TINY = new URL('./testdata/tiny-ctc/', import.meta.url).pathname;
const parity = JSON.parse(readFileSync(join(TINY, 'parity.json'), 'utf8')) as {
  tolerance: number;
  cases: { feats: number[][]; log_probs: number[][] }[];
};
const registry = new ModelRegistry();
afterAll(() => registry.close());

describe('streaming CTC recognizer (banter-ctc/1)', () => {
  it('computes what PyTorch computed, in any chunking, with the caches carried between chunks', async () => {
    const frames = parity.cases[0].feats.map((f) => Float32Array.from(f));
    const want = parity.cases[0].log_probs;
    for (const chunkFrames of [3, 6, 21]) {
      const rec = await loadCtcRecognizer(TINY, registry, { chunkFrames });
      const stream = rec.createStream(() => {}) as CtcStream;
      const rows = (await stream.pushFeatures(frames)).flatMap((chunk) => {
        const v = want[0].length;
        return Array.from({ length: chunk.length / v }, (_, i) => chunk.subarray(i * v, (i + 1) * v));
      });
      expect(rows).toHaveLength(want.length);
      let worst = 0;
      rows.forEach((r, t) => r.forEach((x, k) => (worst = Math.max(worst, Math.abs(x - want[t][k])))));
      expect(worst, `chunkFrames ${chunkFrames}`).toBeLessThan(parity.tolerance);
    }
  });

  it('real audio in arbitrary pieces gives the same final transcript, with a final at each endpoint', async () => {
    const audio = readWav(
      new URL('../../fixtures/audio/speech_rms.wav', import.meta.url).pathname,
    ).samples.subarray(0, 16000 * 3);
    const rec = await loadCtcRecognizer(TINY, registry);
    const finals: Transcript[] = [];
    for (const piece of [320, 1000, 4096]) {
      const got: Transcript[] = [];
      const stream = rec.createStream((t) => got.push(t));
      for (let at = 0; at < audio.length; at += piece) {
        await stream.push(audio.subarray(at, at + piece), 500 + (at * 1000) / 16000);
      }
      await stream.endpoint();
      expect(got.at(-1)!.kind).toBe('final');
      expect(got.slice(0, -1).every((t) => t.kind === 'partial')).toBe(true);
      finals.push(got.at(-1)!);
      stream.close();
    }
    expect(finals[1]).toEqual(finals[0]);
    expect(finals[2]).toEqual(finals[0]);
    expect(finals[0].endMs).toBeGreaterThan(500);
  });

  it('after close nothing more is reported, and an endpoint starts the next utterance afresh', async () => {
    const audio = readWav(new URL('../../fixtures/audio/speech_rms.wav', import.meta.url).pathname).samples;
    const rec = await loadCtcRecognizer(TINY, registry);
    const got: Transcript[] = [];
    const stream = rec.createStream((t) => got.push(t));
    await stream.push(audio.subarray(0, 16000), 0);
    await stream.endpoint();
    await stream.push(audio.subarray(16000, 32000), 4000);
    await stream.endpoint();
    const finals = got.filter((t) => t.kind === 'final');
    expect(finals).toHaveLength(2);
    expect(finals[1].endMs).toBeGreaterThan(4000);
    expect(finals[1].endMs).toBeLessThanOrEqual(5000);
    stream.close();
    const before = got.length;
    await stream.push(audio.subarray(0, 16000), 6000);
    await stream.endpoint();
    expect(got).toHaveLength(before);
  });

  it('a folder whose manifest declares another contract is refused with manifest_invalid', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'banter-asr-'));
    cpSync(TINY, dir, { recursive: true });
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    manifest.asr.contract = 'sherpa-onnx/1';
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
    await expect(loadCtcRecognizer(dir, new ModelRegistry())).rejects.toMatchObject({
      code: 'manifest_invalid',
    });
  });
});
