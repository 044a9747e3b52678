import { describe, expect, it } from 'vitest';
import { bandLevelDifferenceDb, logMelDistance, siSdr } from './spectral.ts';

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

  it('band levels read 0 dB for the same signal and -6 dB for half the amplitude in every range', () => {
    const a = Float32Array.from(
      { length: 16000 },
      (_, i) => 0.2 * Math.sin(i * 0.05) + 0.1 * Math.sin(i * 0.9) + 0.05 * Math.sin(i * 2.5),
    );
    expect(bandLevelDifferenceDb(a, a)).toEqual([0, 0, 0]);
    for (const d of bandLevelDifferenceDb(
      a.map((x) => x / 2),
      a,
    ))
      expect(d).toBeCloseTo(-6.02, 0);
  });
});
