import { describe, expect, it } from 'vitest';
import type { Conversation, Step } from '../scenario/schema.ts';
import { FRAME_MS, FRAME_SAMPLES, SimulatedCaller, matches } from './caller.ts';
import type { PreparedConversation } from './prepare.ts';

const SR = 16000;

/** A clip of `ms` of constant value (so it can be found in the output), speech 20 ms in from each edge. */
function clip(ms: number, value: number) {
  const samples = new Float32Array((ms * SR) / 1000).fill(value);
  return {
    samples,
    active: [{ startMs: 20, endMs: ms - 20 }],
    pauses: [],
    source: 'test',
    text: `clip ${value}`,
  };
}

function prepared(
  steps: Array<{ step: Step; ms: number }>,
  extra: Partial<Conversation> = {},
  background: Float32Array | null = null,
): PreparedConversation {
  const conversation: Conversation = {
    id: 't',
    voice: 'flite:rms',
    steps: steps.map((s) => s.step),
    tail_ms: 500,
    ...extra,
  };
  return {
    conversation,
    steps: steps.map((s, index) => ({ index, step: s.step, clip: clip(s.ms, (index + 1) / 10) })),
    background,
    notes: [],
  };
}

/** Runs the caller to the end, delivering events at given clock times; returns the audio. */
function drive(
  caller: SimulatedCaller,
  events: Array<{ name: string; atMs: number }> = [],
  maxMs = 60_000,
): Float32Array {
  const out: number[] = [];
  const pending = [...events].sort((a, b) => a.atMs - b.atMs);
  while (!caller.finished && caller.clockMs < maxMs) {
    while (pending.length && pending[0].atMs <= caller.clockMs)
      caller.notify(pending[0].name, pending.shift()!.atMs);
    out.push(...caller.nextFrame());
  }
  return Float32Array.from(out);
}

const firstIndexOf = (audio: Float32Array, value: number) =>
  audio.findIndex((x) => Math.abs(x - value) < 1e-6);

describe('SimulatedCaller', () => {
  it('plays gap steps a fixed silence after the previous step, sample-exact', () => {
    const c = new SimulatedCaller(
      prepared([
        { step: { kind: 'inquiry', text: 'a', gap_ms: 1000 }, ms: 500 },
        { step: { kind: 'inquiry', text: 'b', gap_ms: 2010 }, ms: 300 },
      ]),
    );
    const audio = drive(c);
    expect(firstIndexOf(audio, 0.1)).toBe(16000);
    // Second clip: 1000 + 500 + 2010 ms.
    expect(firstIndexOf(audio, 0.2)).toBe(3510 * 16);
    expect(c.placed.map((p) => [p.startMs, p.endMs])).toEqual([
      [1000, 1500],
      [3510, 3810],
    ]);
    expect(c.placed[0].active).toEqual([{ startMs: 1020, endMs: 1480 }]);
    // Tail: 500 ms after the last clip, rounded up to whole frames.
    expect(audio.length).toBe(Math.ceil((4310 * 16) / FRAME_SAMPLES) * FRAME_SAMPLES);
  });

  it('plays event steps a delay after the event it observed', () => {
    const c = new SimulatedCaller(
      prepared([
        {
          step: { kind: 'interrupt', text: 'x', send_after: { event: 'output.start', delay_ms: 700 } },
          ms: 400,
        },
      ]),
    );
    drive(c, [{ name: 'output.start:greeting', atMs: 100 }]);
    expect(c.placed[0].startMs).toBe(800);
    expect(c.placed[0].trigger).toEqual({ event: 'output.start:greeting', eventMs: 100, delayMs: 700 });
  });

  it('does not react to an event of another kind', () => {
    const c = new SimulatedCaller(
      prepared([
        {
          step: {
            kind: 'interrupt',
            text: 'x',
            send_after: { event: 'output.start:reply', delay_ms: 0, timeout_ms: 2000 },
          },
          ms: 400,
        },
      ]),
    );
    drive(c, [{ name: 'output.start:greeting', atMs: 0 }]);
    expect(c.placed).toEqual([]);
    expect(c.skipped).toEqual([
      { index: 0, kind: 'interrupt', atMs: 2000, reason: 'output.start:reply not seen within 2000 ms' },
    ]);
  });

  it('skips a step whose event never comes and carries on from the timeout', () => {
    const c = new SimulatedCaller(
      prepared([
        { step: { kind: 'inquiry', text: 'a', gap_ms: 0 }, ms: 1000 },
        {
          step: {
            kind: 'interrupt',
            text: 'b',
            send_after: { event: 'output.start:reply', delay_ms: 500, timeout_ms: 3000 },
          },
          ms: 400,
        },
        { step: { kind: 'inquiry', text: 'c', gap_ms: 1000 }, ms: 400 },
      ]),
    );
    drive(c);
    expect(c.skipped.map((s) => [s.index, s.atMs])).toEqual([[1, 4000]]);
    expect(c.placed.map((p) => [p.index, p.startMs])).toEqual([
      [0, 0],
      [2, 5000],
    ]);
  });

  it('counts an early reply that began during the previous step', () => {
    const c = new SimulatedCaller(
      prepared([
        { step: { kind: 'inquiry', text: 'a', gap_ms: 0 }, ms: 2000 },
        {
          step: { kind: 'interrupt', text: 'b', send_after: { event: 'output.start:reply', delay_ms: 1000 } },
          ms: 400,
        },
      ]),
    );
    drive(c, [{ name: 'output.start:reply', atMs: 1500 }]);
    // Due when the inquiry ends (2000), the event plus delay is 2500.
    expect(c.placed[1].startMs).toBe(2500);
  });

  it('does not count an early reply the caller heard stop before the step was due: it waits for the next', () => {
    const c = new SimulatedCaller(
      prepared([
        { step: { kind: 'inquiry', text: 'a', gap_ms: 0 }, ms: 2000 },
        {
          step: { kind: 'interrupt', text: 'b', send_after: { event: 'output.start:reply', delay_ms: 1000 } },
          ms: 400,
        },
      ]),
    );
    // A reply begun in the caller's pause (1500), cleared when they went on (1600); the real one at 2600.
    drive(c, [
      { name: 'output.start:reply', atMs: 1500 },
      { name: 'audio.clear', atMs: 1600 },
      { name: 'output.start:reply', atMs: 2600 },
    ]);
    expect(c.placed[1].startMs).toBe(3600);
    expect(c.placed[1].trigger).toMatchObject({ eventMs: 2600 });
  });

  it('mixes looped background noise under everything', () => {
    const bg = new Float32Array(FRAME_SAMPLES * 3).fill(0.01);
    const c = new SimulatedCaller(
      prepared([{ step: { kind: 'inquiry', text: 'a', gap_ms: 100 }, ms: 200 }], {}, bg),
    );
    const audio = drive(c);
    expect(audio[0]).toBeCloseTo(0.01, 6);
    expect(audio[100 * 16]).toBeCloseTo(0.11, 6);
    expect(audio.at(-1)).toBeCloseTo(0.01, 6);
  });

  it('overlaps nothing: a step starts only after the previous clip ended', () => {
    const c = new SimulatedCaller(
      prepared([
        { step: { kind: 'inquiry', text: 'a', gap_ms: 0 }, ms: 1000 },
        {
          step: { kind: 'backchannel', text: 'b', send_after: { event: 'system.audio', delay_ms: 0 } },
          ms: 300,
        },
      ]),
    );
    drive(c, [{ name: 'system.audio', atMs: 200 }]);
    expect(c.placed[1].startMs).toBe(1000);
    expect(FRAME_MS).toBe(20);
  });

  it('matches event names by prefix', () => {
    expect(matches('output.start:reply', 'output.start')).toBe(true);
    expect(matches('output.start', 'output.start:reply')).toBe(false);
    expect(matches('vad.speech_start', 'vad.speech_start')).toBe(true);
  });
});
