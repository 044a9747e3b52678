import { describe, expect, it } from 'vitest';
import { contextRateFor, pcm16DurationMs } from './audio-format.ts';

describe('contextRateFor', () => {
  it('runs the AudioContext at the requested rate when the server speaks it, else at 16 kHz', () => {
    expect(contextRateFor(48000)).toBe(48000);
    expect(contextRateFor(24000)).toBe(24000);
    expect(contextRateFor(8000)).toBe(8000);
    expect(contextRateFor(undefined)).toBe(16000);
    expect(contextRateFor(44100)).toBe(16000);
    expect(contextRateFor(96000)).toBe(16000);
  });

  it('measures PCM16 frames in ms', () => {
    expect(pcm16DurationMs(640, 16000)).toBe(20);
    expect(pcm16DurationMs(1920, 48000)).toBe(20);
  });
});
