/**
 * Builders for hand-made timelines in tests: a stimulus is its kind and its
 * speech extents (ms), system speech is a list of [start, end] pairs.
 */
import type { StepKind } from '../scenario/schema.ts';
import type { PlacedStep, ServerEventMark, Timeline, Word } from './timeline.ts';

let counter = 0;

export function stim(
  kind: StepKind,
  parts: Array<[number, number]>,
  text = `${kind} ${++counter}`,
): Omit<PlacedStep, 'index'> {
  const active = parts.map(([startMs, endMs]) => ({ startMs, endMs }));
  const pauses = active.slice(1).map((a, i) => ({ startMs: active[i].endMs, endMs: a.startMs }));
  return {
    kind,
    startMs: active[0].startMs - 20,
    endMs: active.at(-1)!.endMs + 20,
    active,
    pauses,
    source: 'test',
    text,
  };
}

export function timeline(
  id: string,
  stimuli: Array<Omit<PlacedStep, 'index'>>,
  system: Array<[number, number]>,
  extra: { words?: Word[] | null; events?: ServerEventMark[]; durationMs?: number } = {},
): Timeline {
  const placed = stimuli.map((s, index) => ({ ...s, index }));
  const end = Math.max(...placed.map((s) => s.endMs), ...system.map(([, b]) => b), 0);
  return {
    id,
    durationMs: extra.durationMs ?? end + 5000,
    stimuli: placed,
    skipped: [],
    system: system.map(([startMs, endMs]) => ({ startMs, endMs })),
    callerVad: [],
    words: extra.words === undefined ? [] : extra.words,
    events: extra.events ?? [],
    notes: [],
  };
}

export function word(w: string, startMs: number, endMs = startMs + 200): Word {
  return { word: w, startMs, endMs, confidence: 1 };
}

/** A server VAD segment as the two events the server sends. */
export function vadEvents(startMs: number, endMs: number): ServerEventMark[] {
  return [
    { type: 'vad.speech_start', tMs: startMs, atMs: startMs + 100 },
    { type: 'vad.speech_end', tMs: endMs, startMs, atMs: endMs + 450 },
  ];
}
