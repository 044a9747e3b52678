import { describe, expect, it } from 'vitest';
import { createResampler } from './resampler.ts';

describe('streaming resampler', () => {
  it('gives the same samples chunk by chunk as in one piece (the filter state carries over)', async () => {
    const x = Float32Array.from({ length: 48000 }, (_, i) => Math.sin(i / 9) * 0.5 + Math.sin(i / 31) * 0.3);
    const chunked = await createResampler(48000, 16000);
    const parts: Float32Array[] = [];
    for (let i = 0; i < x.length; i += 960) parts.push(chunked.process(x.subarray(i, i + 960)));
    const y = Float32Array.from(parts.flatMap((p) => [...p]));
    const whole = (await createResampler(48000, 16000)).process(x);
    expect(y.length).toBe(whole.length);
    let maxDiff = 0;
    for (let i = 0; i < y.length; i++) maxDiff = Math.max(maxDiff, Math.abs(y[i] - whole[i]));
    expect(maxDiff).toBeLessThan(1e-6);
    chunked.destroy();
  });
});
