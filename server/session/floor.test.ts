/** The floor between the VAD, the speaker gate and the dialogue, with scripted events. */
import { describe, expect, it } from 'vitest';
import type { Transcript } from '../asr/recognizer.ts';
import { Floor } from './floor.ts';

function harness(gated: boolean) {
  const calls: string[] = [];
  const floor = new Floor(gated, {
    speechStarted: () => calls.push('started'),
    speechEnded: () => calls.push('ended'),
    primary: (startMs, score) => calls.push(`primary@${startMs}:${score}`),
  });
  return { floor, calls };
}
const start = (startMs: number) => ({ type: 'speech_start' as const, startMs, confirmedMs: startMs + 64 });
const end = (startMs: number, endMs: number) => ({
  type: 'speech_end' as const,
  startMs,
  endMs,
  confirmedMs: endMs + 400,
});
const final = (startMs: number, endMs: number): Transcript => ({
  kind: 'final',
  stable: 'did you see the game',
  unstable: '',
  words: [],
  startMs,
  endMs,
});

describe('Floor', () => {
  it('without a gate every stretch is the caller’s at once', () => {
    const h = harness(false);
    h.floor.vad(start(1000), true);
    h.floor.vad(end(1000, 2000), true);
    expect(h.calls).toEqual(['started', 'primary@1000:null', 'ended']);
    expect(h.floor.fromOtherVoice(final(700, 2300))).toBe(false);
  });

  it('with a gate, while banter is silent, the dialogue hears of speech at once; it may barge in only once accepted', () => {
    const h = harness(true);
    h.floor.vad(start(1000), false);
    expect(h.calls).toEqual(['started']);
    h.floor.vad(end(1000, 2000), false);
    h.floor.decided({ type: 'other', startMs: 1000, atMs: 2050, score: 0.05 });
    expect(h.calls).toEqual(['started', 'ended']);
    expect(h.floor.fromOtherVoice(final(700, 2300))).toBe(true);
    h.floor.vad(start(3000), false);
    h.floor.decided({ type: 'primary', startMs: 3000, atMs: 3300, score: 0.6 });
    h.floor.vad(end(3000, 4000), false);
    expect(h.calls).toEqual(['started', 'ended', 'started', 'primary@3000:0.6', 'ended']);
  });

  it('with a gate, over banter, the dialogue hears of a stretch only once it is accepted, then of its end', () => {
    const h = harness(true);
    h.floor.vad(start(1000), true);
    expect(h.calls).toEqual([]);
    h.floor.decided({ type: 'primary', startMs: 1000, atMs: 1400, score: 0.5 });
    h.floor.vad(end(1000, 2000), true);
    expect(h.calls).toEqual(['started', 'primary@1000:0.5', 'ended']);
  });

  it('a stretch accepted only by its last score (after its end) still starts and ends', () => {
    const h = harness(true);
    h.floor.vad(start(1000), true);
    h.floor.vad(end(1000, 1300), true);
    h.floor.decided({ type: 'primary', startMs: 1000, atMs: 1700, score: 0.4 });
    expect(h.calls).toEqual(['started', 'ended', 'primary@1000:0.4']);
  });

  it("another voice's stretch never reaches the dialogue, and its final transcript is recognised once", () => {
    const h = harness(true);
    h.floor.vad(start(1000), true);
    h.floor.vad(end(1000, 2500), true);
    h.floor.decided({ type: 'other', startMs: 1000, atMs: 2900, score: 0.1 });
    expect(h.calls).toEqual([]);
    expect(h.floor.fromOtherVoice({ ...final(700, 2800), kind: 'partial' })).toBe(false);
    expect(h.floor.fromOtherVoice(final(5000, 6000))).toBe(false); // a later utterance
    expect(h.floor.fromOtherVoice(final(700, 2800))).toBe(true);
    expect(h.floor.fromOtherVoice(final(700, 2800))).toBe(false);
  });
});
