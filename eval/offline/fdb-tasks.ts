/**
 * Full-Duplex-Bench's task types, read from each sample's own metadata file, turned into the
 * stimuli banter's metrics score. The benchmark's layout (v1.0 and v1.5):
 *
 * | task (folder)                         | metadata file      | shape                                      | banter stimulus                        |
 * |---------------------------------------|--------------------|--------------------------------------------|----------------------------------------|
 * | candor/synthetic_pause_handling       | pause.json         | [{text: "[PAUSE]", timestamp: [s, e]}]     | one inquiry, the pause(s) inside it    |
 * | candor_turn_taking                    | turn_taking.json   | [{text, timestamp: [turn end, _]}]         | an inquiry ending at the turn end      |
 * | synthetic_user_interruption           | interrupt.json     | [{context, interrupt, timestamp: [s, e]}]  | the context inquiry, then an interrupt |
 * | icc_backchannel                       | (none)             | the caller talks on; the system should not take the floor | one inquiry, every gap a pause |
 * | v1.5 user_interruption                | metadata.json      | {context_text, current_turn_text, timestamps: [s, e]} | context inquiry, interrupt at [s, e] |
 * | v1.5 user_backchannel                 | metadata.json      | same                                       | context inquiry, backchannel at [s, e] |
 * | v1.5 background_speech                | metadata.json      | same (the caller's question, a voice under it) | an inquiry at [s, e]                |
 * | v1.5 talking_to_other                 | metadata.json      | same (the caller speaks to someone else)   | context inquiry, distractor at [s, e]  |
 *
 * Times in the metadata are seconds on input.wav. They come from the benchmark's TTS lengths
 * (clip padding included), so each is snapped to the caller speech Silero finds within
 * `SNAP_MS` of it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import type { PlacedStep } from '../caller/caller.ts';
import type { Interval } from '../caller/prepare.ts';
import type { StepKind } from '../scenario/schema.ts';

export type FdbTask =
  | 'pause_handling'
  | 'turn_taking'
  | 'user_interruption'
  | 'backchannel'
  | 'v1.5/user_interruption'
  | 'v1.5/user_backchannel'
  | 'v1.5/background_speech'
  | 'v1.5/talking_to_other';

/** The metadata files a sample may carry; `offline` copies them next to its outputs. */
export const FDB_METADATA_FILES = [
  'pause.json',
  'turn_taking.json',
  'interrupt.json',
  'metadata.json',
] as const;

/** How far (ms) a metadata time may be from the speech Silero found and still be snapped to it. */
export const SNAP_MS = 400;
/** Caller speech closer than this (ms) is one turn; a longer gap inside a turn is a pause. */
const TURN_GAP_MS = 700;
const MIN_PAUSE_MS = 300;

export interface FdbMeta {
  task: FdbTask;
  /** Labelled intervals (ms): the pauses, the turn end ([end, end]), or the overlap. */
  marks: Interval[];
  /** The words of the labelled part, where the metadata has them. */
  text?: string;
  context?: string;
}

export class FdbMetaError extends Error {
  readonly code = 'fdb_metadata_invalid';
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
  }
}

const V15_TASKS = ['user_interruption', 'user_backchannel', 'background_speech', 'talking_to_other'] as const;

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new FdbMetaError(file, `not JSON (${(e as Error).message})`);
  }
}

function pair(file: string, v: unknown): [number, number] {
  if (!Array.isArray(v) || v.length < 1 || typeof v[0] !== 'number')
    throw new FdbMetaError(file, 'timestamp must be [start_s, end_s]');
  const b = typeof v[1] === 'number' ? v[1] : v[0];
  return [v[0] * 1000, b * 1000];
}

function entries(file: string): Array<Record<string, unknown>> {
  const j = readJson(file);
  const list = Array.isArray(j) ? j : [j];
  if (list.length === 0 || list.some((x) => typeof x !== 'object' || x === null))
    throw new FdbMetaError(file, 'expected a list of {timestamp: [s, e]} objects');
  return list as Array<Record<string, unknown>>;
}

/**
 * The task of a sample folder from its metadata file (or, for ICC backchannels, its folder);
 * null if unknown. Folder names count only from `root` (the folder being imported) down,
 * root's own name included, nearest first: a folder far above (`~/user_interruption_runs/...`)
 * names nothing.
 */
export function readFdbMeta(dir: string, root: string = dir): FdbMeta | null {
  const at = (f: string) => join(dir, f);
  if (existsSync(at('pause.json'))) {
    const marks = entries(at('pause.json')).map((e) => pair(at('pause.json'), e.timestamp));
    return { task: 'pause_handling', marks: marks.map(([s, e]) => ({ startMs: s, endMs: e })) };
  }
  if (existsSync(at('turn_taking.json'))) {
    const [first] = entries(at('turn_taking.json'));
    const [end] = pair(at('turn_taking.json'), first.timestamp);
    return { task: 'turn_taking', marks: [{ startMs: end, endMs: end }] };
  }
  if (existsSync(at('interrupt.json'))) {
    const [first] = entries(at('interrupt.json'));
    const [s, e] = pair(at('interrupt.json'), first.timestamp);
    return {
      task: 'user_interruption',
      marks: [{ startMs: s, endMs: e }],
      text: typeof first.interrupt === 'string' ? first.interrupt : undefined,
      context: typeof first.context === 'string' ? first.context : undefined,
    };
  }
  const parts = relative(dirname(resolve(root)), resolve(dir))
    .split(sep)
    .filter(Boolean)
    .reverse();
  if (existsSync(at('metadata.json'))) {
    const m = readJson(at('metadata.json')) as Record<string, unknown>;
    const named = (p: string) =>
      V15_TASKS.find((t) => p === t) ?? V15_TASKS.find((t) => p.startsWith(`${t}_`));
    const task = parts.map(named).find((t) => t !== undefined);
    if (!task)
      throw new FdbMetaError(
        at('metadata.json'),
        `the task is named by the sample's folder or one above it (${V15_TASKS.join(', ')}); none found from the imported folder down`,
      );
    const [s, e] = pair(at('metadata.json'), m.timestamps);
    return {
      task: `v1.5/${task}`,
      marks: [{ startMs: s, endMs: e }],
      text: typeof m.current_turn_text === 'string' ? m.current_turn_text : undefined,
      context: typeof m.context_text === 'string' ? m.context_text : undefined,
    };
  }
  if (parts.some((p) => p === 'icc_backchannel' || p.startsWith('icc_backchannel_')))
    return { task: 'backchannel', marks: [] };
  return null;
}

/** Turns: caller speech joined across gaps under TURN_GAP_MS, the gaps of MIN_PAUSE_MS or more kept as pauses. */
function turnsOf(speech: Interval[]): Array<{ active: Interval[]; pauses: Interval[] }> {
  const turns: Interval[][] = [];
  for (const s of speech) {
    const last = turns.at(-1);
    if (last && s.startMs - last.at(-1)!.endMs < TURN_GAP_MS) last.push(s);
    else turns.push([s]);
  }
  return turns.map((active) => ({ active, pauses: gaps(active, MIN_PAUSE_MS) }));
}

function gaps(active: Interval[], minMs: number): Interval[] {
  return active
    .slice(1)
    .map((p, i) => ({ startMs: active[i].endMs, endMs: p.startMs }))
    .filter((g) => g.endMs - g.startMs >= minMs);
}

function step(
  index: number,
  kind: StepKind,
  active: Interval[],
  pauses: Interval[],
  text: string,
): PlacedStep {
  return {
    index,
    kind,
    startMs: active[0].startMs,
    endMs: active.at(-1)!.endMs,
    active: active.map((a) => ({ ...a })),
    pauses,
    source: 'input.wav',
    text,
  };
}

/**
 * The stimuli of one sample: what the caller did and when, in banter's terms, from the
 * benchmark's labels and the caller speech Silero found on input.wav.
 */
export function stimuliFromFdbMeta(meta: FdbMeta, callerSpeech: Interval[]): PlacedStep[] {
  const speech = [...callerSpeech].sort((a, b) => a.startMs - b.startMs);
  if (speech.length === 0) return [];
  switch (meta.task) {
    case 'pause_handling': {
      // One inquiry; its pauses are the labelled ones, snapped to the speech on either side.
      const pauses = meta.marks.map((p) => {
        // The speech that ends near the pause's start and the speech that starts near its end;
        // a breath or an "um" inside the pause is neither.
        const near = (t: number, at: number) => Math.abs(t - at) <= SNAP_MS;
        const before = speech.filter((s) => near(s.endMs, p.startMs)).at(-1);
        const after = speech.find((s) => near(s.startMs, p.endMs) && (!before || s.startMs > before.endMs));
        const snapped = { startMs: before?.endMs ?? p.startMs, endMs: after?.startMs ?? p.endMs };
        return snapped.startMs < snapped.endMs ? snapped : { startMs: p.startMs, endMs: p.endMs };
      });
      return [step(0, 'inquiry', speech, pauses, '(pause handling)')];
    }
    case 'backchannel':
      // The caller holds the floor throughout: every gap is a pause the system should not take.
      return [step(0, 'inquiry', speech, gaps(speech, MIN_PAUSE_MS), '(backchannel: the caller talks on)')];
    case 'turn_taking': {
      const end = meta.marks[0].startMs;
      const turn = speech.filter((s) => s.startMs < end);
      if (turn.length === 0) return [];
      const last = turnsOf(turn).at(-1)!;
      const later = turnsOf(speech.filter((s) => s.startMs >= end));
      return [
        step(0, 'inquiry', last.active, last.pauses, '(turn taking)'),
        ...later.map((t, i) => step(i + 1, 'inquiry', t.active, t.pauses, '(from input.wav)')),
      ];
    }
    default: {
      // The labelled overlap is the caller speech that starts near or inside it; what starts
      // before is the context (inquiries), what starts after it, later turns.
      const mark = meta.marks[0];
      const kind: StepKind =
        meta.task === 'user_interruption' || meta.task === 'v1.5/user_interruption'
          ? 'interrupt'
          : meta.task === 'v1.5/user_backchannel'
            ? 'backchannel'
            : meta.task === 'v1.5/talking_to_other'
              ? 'distractor'
              : 'inquiry';
      const from = mark.startMs - SNAP_MS;
      const to = mark.endMs + SNAP_MS;
      const context = turnsOf(speech.filter((s) => s.startMs < from));
      const inside = speech.filter((s) => s.startMs >= from && s.startMs < to);
      const later = turnsOf(speech.filter((s) => s.startMs >= to));
      const active = inside.length ? inside : [{ ...mark }];
      const out = context.map((t, i) => step(i, 'inquiry', t.active, t.pauses, meta.context || '(context)'));
      out.push(
        step(
          out.length,
          kind,
          active,
          kind === 'inquiry' ? gaps(active, MIN_PAUSE_MS) : [],
          meta.text ?? `(${meta.task})`,
        ),
      );
      for (const t of later) out.push(step(out.length, 'inquiry', t.active, t.pauses, '(from input.wav)'));
      return out;
    }
  }
}
