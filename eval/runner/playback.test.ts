import { describe, expect, it } from 'vitest';
import { floatToPcm16, pcm16ToFloat } from '../../server/audio/pcm.ts';
import { PlaybackBuffer } from './playback.ts';

describe('PlaybackBuffer', () => {
  it('plays what arrived, 20 ms at a time, silence when dry', () => {
    const b = new PlaybackBuffer(16000);
    b.push(new Float32Array(480).fill(0.5));
    const a = b.pull(320);
    expect(a.samples.every((x) => x === 0.5)).toBe(true);
    const c = b.pull(320);
    expect(c.samples.slice(0, 160).every((x) => x === 0.5)).toBe(true);
    expect(c.samples.slice(160).every((x) => x === 0)).toBe(true);
    expect(b.positionMs).toBe(30);
  });

  it('drops the queue on clear and counts the dropped audio as passed', () => {
    const b = new PlaybackBuffer(16000);
    b.push(new Float32Array(1600).fill(0.2));
    b.pull(320);
    expect(b.clear()).toBe(1280);
    expect(b.queuedSamples).toBe(0);
    // Stream position continues after the dropped part, as the server's output_ms does.
    expect(b.positionMs).toBe(100);
    expect(b.pull(320).samples.every((x) => x === 0)).toBe(true);
  });

  it('flags an audible onset only after enough silence', () => {
    const b = new PlaybackBuffer(16000, 10 ** (-50 / 20), 300);
    b.push(new Float32Array(640).fill(0.1));
    expect(b.pull(320).onset).toBe(true);
    expect(b.pull(320).onset).toBe(false);
    for (let i = 0; i < 10; i++) b.pull(320); // 200 ms of silence: not enough
    b.push(new Float32Array(320).fill(0.1));
    expect(b.pull(320).onset).toBe(false);
    for (let i = 0; i < 15; i++) b.pull(320); // 300 ms
    b.push(new Float32Array(320).fill(0.1));
    expect(b.pull(320).onset).toBe(true);
  });
});

describe('PCM16 conversion', () => {
  it('round-trips within one LSB and clips', () => {
    const x = Float32Array.from([0, 0.5, -0.5, 0.999, -1, 1.5, -1.5]);
    const y = pcm16ToFloat(floatToPcm16(x));
    for (let i = 0; i < 5; i++) expect(Math.abs(y[i] - x[i])).toBeLessThan(1 / 16384);
    expect(y[5]).toBeCloseTo(1, 3);
    expect(y[6]).toBe(-1);
  });
});
