import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readWav } from '../audio/wav.ts';
import { bundledSileroPath, loadSilero, SILERO_FRAME_SAMPLES } from './silero.ts';
import { detectSpeechSegments } from './vad-offline.ts';

const speech = readWav(new URL('../../fixtures/audio/speech_rms.wav', import.meta.url).pathname);
const truth = [
  { startMs: 1020, endMs: 3843 },
  { startMs: 5383, endMs: 8715 },
];

describe('Silero loader', () => {
  it.each(['v4', 'v5', 'v6'] as const)(
    'loads bundled %s and finds both utterances of real speech',
    async (version) => {
      const model = await loadSilero({ version });
      expect(model.contract).toBe(version === 'v4' ? 'v4' : 'v5');
      const segments = await detectSpeechSegments(model, speech.samples);
      expect(segments).toHaveLength(2);
      segments.forEach((s, i) => {
        expect(Math.abs(s.startMs - truth[i].startMs)).toBeLessThan(100);
        expect(Math.abs(s.endMs - truth[i].endMs)).toBeLessThan(150);
      });
      await model.release();
    },
  );

  it("loads a user's own export from a path and detects its contract from the input names", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'silero-'));
    const path = join(dir, 'my-vad.onnx');
    copyFileSync(bundledSileroPath('v4'), path);
    const model = await loadSilero({ modelPath: path });
    expect(model).toMatchObject({ contract: 'v4', label: 'silero-v4-custom' });
    await model.release();
  });

  it('refuses a file that is not an ONNX model', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'silero-')), 'broken.onnx');
    writeFileSync(path, 'not a model');
    await expect(loadSilero({ modelPath: path })).rejects.toThrow();
  });

  it('keeps per-stream state apart: two interleaved streams equal two separate runs', async () => {
    const model = await loadSilero();
    const a = model.createStream();
    const b = model.createStream();
    const frames = Array.from({ length: 60 }, (_, i) =>
      speech.samples.slice(16000 + i * SILERO_FRAME_SAMPLES, 16000 + (i + 1) * SILERO_FRAME_SAMPLES),
    );
    const silent = new Float32Array(SILERO_FRAME_SAMPLES);
    const interleaved: number[] = [];
    for (const f of frames) {
      interleaved.push(await a.process(f));
      await b.process(silent);
    }
    const c = model.createStream();
    const alone: number[] = [];
    for (const f of frames) alone.push(await c.process(f));
    expect(interleaved).toEqual(alone);
    await expect(a.process(new Float32Array(100))).rejects.toThrow(RangeError);
    await model.release();
  });
});
