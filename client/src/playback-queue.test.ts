import { describe, expect, it } from 'vitest';
import { PlaybackQueue } from './playback-queue.ts';

/** A 20 ms frame at 16 kHz (320 samples) filled with `value`. */
const frame = (value = 0.5) => new Float32Array(320).fill(value);

describe('PlaybackQueue', () => {
  it('advances the output-axis position as frames play, within a frame too', () => {
    const q = new PlaybackQueue();
    q.push(frame(), 0, 20);
    q.push(frame(), 20, 20);
    const out = new Float32Array(160);
    expect(q.render(out)).toBe(160);
    expect(q.positionMs).toBe(10);
    q.render(out);
    expect(q.positionMs).toBe(20);
    expect(q.framesPlayed).toBe(1);
    expect(q.queuedMs).toBe(20);
  });

  it('plays silence once empty and keeps the position at the end of the audio', () => {
    const q = new PlaybackQueue();
    q.push(frame(), 0, 20);
    const out = new Float32Array(480).fill(1);
    expect(q.render(out)).toBe(320);
    expect(out[319]).toBe(0.5);
    expect(out[320]).toBe(0);
    expect(q.playing).toBe(false);
    expect(q.positionMs).toBe(20);
  });

  it('drops everything unplayed on clear, the partly played frame included', () => {
    const q = new PlaybackQueue();
    for (let i = 0; i < 6; i++) q.push(frame(), i * 20, 20);
    q.render(new Float32Array(400)); // 1.25 frames
    const dropped = q.clear();
    expect(dropped).toEqual({ frames: 5, ms: 95 });
    expect(q.positionMs).toBe(25);
    expect(q.framesDropped).toBe(5);
    const out = new Float32Array(128).fill(1);
    expect(q.render(out)).toBe(0);
    expect(out.every((v) => v === 0)).toBe(true);
    expect(q.positionMs).toBe(25);
  });

  it('skips the dropped span of the axis when the next utterance plays', () => {
    const q = new PlaybackQueue();
    q.push(frame(), 0, 20);
    q.push(frame(), 20, 20);
    q.render(new Float32Array(320));
    q.clear();
    // The server sent both frames; the next one starts at 40 ms on its axis.
    q.push(frame(), 40, 20);
    q.render(new Float32Array(160));
    expect(q.positionMs).toBe(50);
  });
});
