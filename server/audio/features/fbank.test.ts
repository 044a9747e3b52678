import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Fbank, fbankAll } from './fbank.ts';

/** torchaudio.compliance.kaldi.fbank on real fixture audio (models/training/lib/fbank_reference.py). */
const ref = JSON.parse(readFileSync(new URL('./testdata/fbank-reference.json', import.meta.url), 'utf8')) as {
  samples_int16: number[];
  frames: number[][];
};
const samples = Float32Array.from(ref.samples_int16, (v) => v / 32768);

describe('Kaldi fbank frontend', () => {
  it('matches torchaudio kaldi.fbank within 1e-3 on real audio, frame for frame', () => {
    const frames = fbankAll(samples);
    expect(frames).toHaveLength(ref.frames.length);
    let worst = 0;
    frames.forEach((f, t) => f.forEach((v, m) => (worst = Math.max(worst, Math.abs(v - ref.frames[t][m])))));
    expect(worst).toBeLessThan(1e-3);
  });

  it('streams: any chunking gives the same frames as the whole buffer, as soon as each window is complete', () => {
    const whole = fbankAll(samples);
    const fb = new Fbank();
    const streamed: Float32Array[] = [];
    let at = 0;
    for (const size of [1, 159, 160, 401, 37, 512, 3000]) {
      const got = fb.push(samples.subarray(at, at + size));
      at += size;
      // Frames available so far: 1 + floor((n - 400) / 160) once 400 samples are in.
      expect(streamed.length + got.length).toBe(at < 400 ? 0 : 1 + Math.floor((at - 400) / 160));
      streamed.push(...got);
    }
    streamed.push(...fb.push(samples.subarray(at)));
    expect(streamed).toEqual(whole);
  });
});
