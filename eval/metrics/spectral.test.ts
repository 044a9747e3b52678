import { describe, expect, it } from 'vitest';
import { logMelDistance, siSdr } from './spectral.ts';

function tone(hz: number, seconds: number, amp = 0.3): Float32Array {
  return Float32Array.from(
    { length: seconds * 16000 },
    (_, i) => amp * Math.sin((2 * Math.PI * hz * i) / 16000),
  );
}

describe('spectral measures', () => {
  it('log-mel distance is 0 for the same signal, grows with the difference, ignores nothing of the level', () => {
    const a = tone(440, 1);
    expect(logMelDistance(a, a)).toBe(0);
    const louder = a.map((x) => 2 * x);
    // Twice the amplitude is 4x the energy in every band: ln 4 = 1.386 where the tone is.
    expect(logMelDistance(louder, a)).toBeGreaterThan(0.5);
    expect(logMelDistance(tone(880, 1), a)).toBeGreaterThan(logMelDistance(louder, a));
  });

  it('SI-SDR ignores scale and reads 20 dB for noise 20 dB down', () => {
    const a = tone(300, 1);
    expect(
      siSdr(
        a.map((x) => 0.5 * x),
        a,
      ),
    ).toBeGreaterThan(60);
    let seed = 1;
    const noise = Float32Array.from({ length: a.length }, () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31 - 0.5;
    });
    const rms = (x: Float32Array) => Math.sqrt(x.reduce((s, v) => s + v * v, 0) / x.length);
    const k = (rms(a) / rms(noise)) * 0.1;
    expect(
      siSdr(
        a.map((x, i) => x + k * noise[i]),
        a,
      ),
    ).toBeCloseTo(20, 0);
  });
});
