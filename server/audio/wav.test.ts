import { describe, expect, it } from 'vitest';
import { decodeWav, encodeWav } from './wav.ts';

describe('wav', () => {
  it('round-trips mono and stereo 16-bit audio within one quantization step', () => {
    const a = Float32Array.from({ length: 1600 }, (_, i) => 0.5 * Math.sin((2 * Math.PI * 440 * i) / 16000));
    const b = Float32Array.from(a, (x) => -x);
    const mono = decodeWav(encodeWav(a, 16000));
    expect(mono.sampleRate).toBe(16000);
    expect(mono.samples.length).toBe(1600);
    for (let i = 0; i < a.length; i++) expect(Math.abs(mono.samples[i] - a[i])).toBeLessThan(1 / 16000);
    const stereo = decodeWav(encodeWav([a, b], 24000));
    expect(stereo.sampleRate).toBe(24000);
    expect(stereo.channels.length).toBe(2);
    expect(Math.abs(stereo.channels[1][100] + a[100])).toBeLessThan(1e-4);
    expect(Math.abs(stereo.samples[100])).toBeLessThan(1e-4);
  });

  it('decodes a WAV that is a view into a larger buffer (node pools small files read from disk)', () => {
    // Regression: 45 of FSDD's 3000 small files read as empty because node-wav ignored byteOffset.
    const a = Float32Array.from({ length: 800 }, (_, i) => 0.25 * Math.sin(i / 7));
    const bytes = encodeWav(a, 8000);
    // A node Buffer view into a larger pool, as readFileSync returns for small files.
    const pooled = Buffer.concat([Buffer.alloc(13), Buffer.from(bytes)]).subarray(13);
    const got = decodeWav(pooled);
    expect(got.sampleRate).toBe(8000);
    expect(got.samples.length).toBe(800);
    expect(Math.abs(got.samples[100] - a[100])).toBeLessThan(1e-4);
  });
});
