import { describe, expect, it } from 'vitest';
import { VadFrameProcessor, type VadEvent } from './vad-processor.ts';

/** Runs scripted probabilities (one per 32 ms frame) through a processor. */
function run(probs: number[], options = {}): VadEvent[] {
  const vad = new VadFrameProcessor(options);
  const events = probs.flatMap((p) => vad.process(p));
  return [...events, ...vad.flush()];
}

const repeat = (p: number, n: number) => Array<number>(n).fill(p);

describe('VadFrameProcessor', () => {
  it('declares a start after minSpeechMs of speech, dated at the onset', () => {
    const events = run([...repeat(0.1, 10), ...repeat(0.9, 20), ...repeat(0.05, 20)]);
    expect(events[0]).toEqual({ type: 'speech_start', startMs: 320, confirmedMs: 384 });
    expect(events[1]).toMatchObject({ type: 'speech_end', startMs: 320, endMs: 960 });
    // The end waits redemptionMs (400 ms, 13 frames) of silence.
    expect((events[1] as { confirmedMs: number }).confirmedMs).toBe(960 + 13 * 32);
    expect(events).toHaveLength(2);
  });

  it('ignores a click shorter than minSpeechMs', () => {
    expect(run([...repeat(0.1, 5), 0.95, ...repeat(0.1, 30)])).toEqual([]);
  });

  it('bridges pauses shorter than the redemption time', () => {
    const probs = [...repeat(0.9, 10), ...repeat(0.1, 8), ...repeat(0.9, 10), ...repeat(0.1, 20)];
    const events = run(probs);
    expect(events.map((e) => e.type)).toEqual(['speech_start', 'speech_end']);
    expect(events[1]).toMatchObject({ startMs: 0, endMs: 28 * 32 });
  });

  it('splits at a pause longer than the redemption time', () => {
    const probs = [...repeat(0.9, 10), ...repeat(0.1, 20), ...repeat(0.9, 10), ...repeat(0.1, 20)];
    expect(run(probs).map((e) => e.type)).toEqual([
      'speech_start',
      'speech_end',
      'speech_start',
      'speech_end',
    ]);
  });

  it('uses hysteresis: probabilities between the thresholds neither start nor end speech', () => {
    expect(run(repeat(0.42, 50))).toEqual([]);
    const events = run([...repeat(0.9, 5), ...repeat(0.42, 40), ...repeat(0.1, 20)]);
    expect(events[1]).toMatchObject({ type: 'speech_end', endMs: 45 * 32 });
  });

  it('flush closes open speech at the end of the stream', () => {
    const events = run([...repeat(0.1, 3), ...repeat(0.9, 10)]);
    expect(events[1]).toMatchObject({ type: 'speech_end', startMs: 96, endMs: 13 * 32 });
  });

  it('returns the segment audio with pre-speech padding when keepAudio is on', () => {
    const vad = new VadFrameProcessor({ keepAudio: true, preSpeechPadMs: 64 });
    const frame = (v: number) => new Float32Array(512).fill(v);
    const events: VadEvent[] = [];
    const probs = [...repeat(0.1, 5), ...repeat(0.9, 4), ...repeat(0.1, 13)];
    probs.forEach((p, i) => events.push(...vad.process(p, frame(i))));
    const end = events.find((e) => e.type === 'speech_end');
    expect(end?.type).toBe('speech_end');
    const audio = (end as { audio: Float32Array }).audio;
    // 2 padding frames (3, 4), 4 speech frames (5-8), then the 13 silence frames up to the end decision.
    expect(audio.length).toBe((2 + 4 + 13) * 512);
    expect(audio[0]).toBe(3);
    expect(audio[2 * 512]).toBe(5);
  });

  it('rejects thresholds in the wrong order', () => {
    expect(() => new VadFrameProcessor({ positiveThreshold: 0.3, negativeThreshold: 0.5 })).toThrow(
      RangeError,
    );
  });
});
