/**
 * FD-Bench, Full-Duplex-Bench and FireRedChat scoring of analysed
 * conversations. Pure functions: timelines in, outcomes out.
 *
 * Every stimulus gets an outcome (what the system did about it); the suite's
 * figures are ratios and medians over outcomes (specs.ts). Windows and
 * thresholds are named constants below, each with its reason;
 * docs/EVALUATION.md restates them.
 */
import { frameF1 } from '../../server/turn-taking/vad-offline.ts';
import type { StepKind } from '../scenario/schema.ts';
import type { Interval, Timeline, Word } from './timeline.ts';

/** A reply must start within this long after the caller's speech ended (FD-Bench waits a few seconds), ms. */
export const REPLY_WINDOW_MS = 5000;
/** FD-Bench's early interruption: the system starts more than this before the caller has finished, ms. */
export const EARLY_MS = 500;
/** A stop counts as caused by an interruption if it comes before the interruption ended plus this, ms (IRD only). */
export const IRD_WINDOW_MS = 2000;
/** The system "gave way" to a backchannel, noise or distractor if it stopped before the stimulus ended plus this, ms. */
export const YIELD_WINDOW_MS = 1000;
/** Speech resuming within this long after a false stop counts as a resumption (LiveKit waits 2 s before resuming), ms. */
export const RESUME_WINDOW_MS = 3000;
/** A noise or distractor in a gap triggered a response if system speech starts before its end plus this, ms. */
export const NOISE_RESPONSE_WINDOW_MS = 2000;
/** Full-Duplex-Bench's takeover: a response of at least this long, or more than TAKEOVER_WORDS words. */
export const TAKEOVER_MIN_MS = 1000;
export const TAKEOVER_WORDS = 3;
/** System speech segments closer than this form one turn (a sentence pause is not a stop), ms. */
export const TURN_GAP_MS = 500;
/**
 * A stimulus that starts this soon after a system turn ended still counts as
 * "during system speech": the system was in a pause inside its utterance
 * (between sentences) and, if it never speaks on, it stopped for the caller.
 */
export const HOLD_MS = 300;
/** A server VAD event matches a truth onset within [-START_EARLY_MS, +START_LATE_MS]. */
export const VAD_MATCH_EARLY_MS = 300;
/** A recognized word belongs to a reply if it starts no more than this before the reply's audible onset, ms. */
export const WORD_SLACK_MS = 300;
/** An `output.end {reason: 'done'}` this close before a stop marks it as the utterance's natural end, ms. */
export const NATURAL_END_MS = 600;
export const VAD_MATCH_LATE_MS = 500;

export interface Outcome {
  conversation: string;
  index: number;
  kind: StepKind;
  onsetMs: number;
  offsetMs: number;
  /** A system segment was under way when the stimulus began. */
  duringSystem: boolean;
  /** Stop of the system speech the stimulus overlapped (when duringSystem and it stopped in the window). */
  stopMs: number | null;
  /** inquiry / interrupt: start of the system's reply, or null. */
  replyMs: number | null;
  /** Start of the first recognized word of the reply. */
  replyWordMs: number | null;
  /** Pauses in the inquiry, and how many the system talked into (FDB takeover). */
  pauses: number;
  pauseTakeovers: number;
  /** Pauses in which the system started to speak at all, even briefly (a takeover or not). */
  pauseOnsets: number;
  /** After a false stop: did the system speak again within RESUME_WINDOW_MS? */
  resumed: boolean | null;
  /** When it spoke again (the silence a false stop cost the caller ends here), or null. */
  resumeMs: number | null;
  /** A noise/distractor in silence triggered system speech. */
  triggered: boolean | null;
  /** Server VAD timing against ground truth (primary caller speech only). */
  vad: Array<{ truth: Interval; startErrMs: number | null; endErrMs: number | null }>;
  /** One line for the report. */
  verdict: string;
}

const PRIMARY: ReadonlySet<StepKind> = new Set(['inquiry', 'interrupt', 'backchannel']);

/** Where in the timeline the next stimulus starts (the end of this one's window). */
function nextOnset(t: Timeline, index: number): number {
  const later = t.stimuli.filter((s) => s.index > index).map((s) => s.active[0]?.startMs ?? s.startMs);
  return later.length ? Math.min(...later) : t.durationMs;
}

/** System segments chained across gaps under TURN_GAP_MS: the system's turns. */
export function systemTurns(system: Interval[]): Interval[] {
  return mergeSegments(system, TURN_GAP_MS);
}

/** Merges segments closer than gapMs (a caller's turn with short pauses is one turn). */
export function mergeSegments(segments: Interval[], gapMs: number): Interval[] {
  const out: Interval[] = [];
  for (const s of segments) {
    const last = out.at(-1);
    if (last && s.startMs - last.endMs < gapMs) last.endMs = Math.max(last.endMs, s.endMs);
    else out.push({ startMs: s.startMs, endMs: s.endMs });
  }
  return out;
}

/** The system turn under way at atMs (or paused in for less than HOLD_MS). */
function turnAt(turns: Interval[], atMs: number): Interval | undefined {
  return turns.find((s) => s.startMs < atMs && s.endMs + HOLD_MS > atMs);
}

function firstOnsetIn(system: Interval[], from: number, to: number): Interval | undefined {
  return system.find((s) => s.startMs >= from && s.startMs < to);
}

/** FDB's takeover test on the system speech starting at seg: long enough, or enough words. */
export function isTakeover(system: Interval[], words: Word[] | null, seg: Interval): boolean {
  // Speech belonging to one response: segments chained by short gaps from seg onwards.
  let end = seg.endMs;
  for (const s of system) if (s.startMs >= seg.startMs && s.startMs - end < 500) end = Math.max(end, s.endMs);
  if (end - seg.startMs >= TAKEOVER_MIN_MS) return true;
  if (!words) return false;
  return words.filter((w) => w.startMs >= seg.startMs - 50 && w.startMs < end).length > TAKEOVER_WORDS;
}

export function scoreTimeline(t: Timeline): Outcome[] {
  const outcomes: Outcome[] = [];
  const speechStarts = t.events.filter((e) => e.type === 'vad.speech_start');
  const speechEnds = t.events.filter((e) => e.type === 'vad.speech_end');
  const turns = systemTurns(t.system);
  for (const st of t.stimuli) {
    const onset = st.active[0]?.startMs ?? st.startMs;
    const offset = st.active[st.active.length - 1]?.endMs ?? st.endMs;
    const next = nextOnset(t, st.index);
    const covering = turnAt(turns, onset);
    const o: Outcome = {
      conversation: t.id,
      index: st.index,
      kind: st.kind,
      onsetMs: onset,
      offsetMs: offset,
      duringSystem: !!covering,
      stopMs: null,
      replyMs: null,
      replyWordMs: null,
      pauses: st.pauses.length,
      pauseTakeovers: 0,
      pauseOnsets: 0,
      resumed: null,
      resumeMs: null,
      triggered: null,
      vad: [],
      verdict: '',
    };

    if (covering) {
      const window = st.kind === 'interrupt' ? IRD_WINDOW_MS : YIELD_WINDOW_MS;
      // For what should NOT stop the system, an utterance that simply ended (the server says 'done') is no stop.
      const natural = st.kind !== 'interrupt' && finishedNaturally(t, covering.endMs);
      // A turn that paused just before the onset and never went on stopped, for the caller, at the onset.
      if (covering.endMs <= offset + window && !natural) o.stopMs = Math.max(covering.endMs, onset);
    }

    if (st.kind === 'inquiry' || st.kind === 'interrupt') {
      // A reply is system speech that starts after the caller started (not a continuation), within the window.
      const from = st.kind === 'interrupt' && o.stopMs !== null ? o.stopMs + 1 : onset;
      const reply = firstOnsetIn(t.system, from, Math.min(next, offset + REPLY_WINDOW_MS));
      if (reply && !(st.kind === 'interrupt' && reply.startMs < offset - EARLY_MS)) {
        o.replyMs = reply.startMs;
        // pocketsphinx may start a word up to a few frames before the audible onset (leading silence in its model).
        o.replyWordMs =
          t.words?.find(
            (w) => w.startMs >= reply.startMs - WORD_SLACK_MS && w.endMs > reply.startMs && w.startMs < next,
          )?.startMs ?? null;
      }
      for (const p of st.pauses) {
        const talk = firstOnsetIn(t.system, p.startMs, p.endMs);
        if (talk) o.pauseOnsets++;
        if (talk && isTakeover(t.system, t.words, talk)) o.pauseTakeovers++;
      }
    }

    if (
      (st.kind === 'backchannel' || st.kind === 'noise' || st.kind === 'distractor') &&
      o.duringSystem &&
      o.stopMs !== null
    ) {
      const again = firstOnsetIn(t.system, o.stopMs + 1, Math.min(next, o.stopMs + RESUME_WINDOW_MS));
      o.resumed = !!again;
      o.resumeMs = again?.startMs ?? null;
    }
    if ((st.kind === 'noise' || st.kind === 'distractor') && !o.duringSystem) {
      o.triggered = !!firstOnsetIn(t.system, onset, Math.min(next, offset + NOISE_RESPONSE_WINDOW_MS));
    }

    if (PRIMARY.has(st.kind)) {
      for (const truth of st.active) {
        const start = closest(speechStarts, truth.startMs, VAD_MATCH_EARLY_MS, VAD_MATCH_LATE_MS);
        const end = start ? speechEnds.find((e) => e.startMs === start.tMs) : undefined;
        o.vad.push({
          truth,
          startErrMs: start ? start.tMs - truth.startMs : null,
          endErrMs: end ? end.tMs - truth.endMs : null,
        });
      }
    }
    o.verdict = verdict(o);
    outcomes.push(o);
  }
  return outcomes;
}

/**
 * Whether the server reported the utterance as played to the end just
 * before this stop. Audio alone cannot tell a cut from an ending, so a
 * server that sends output.end gets the benefit; one that does not is
 * judged on its audio.
 */
function finishedNaturally(t: Timeline, stopMs: number): boolean {
  return t.events.some(
    (e) =>
      e.type === 'output.end' &&
      e.reason === 'done' &&
      e.tMs >= stopMs - NATURAL_END_MS &&
      e.tMs <= stopMs + 200,
  );
}

function closest<T extends { tMs: number }>(
  events: T[],
  target: number,
  early: number,
  late: number,
): T | undefined {
  let best: T | undefined;
  for (const e of events) {
    const d = e.tMs - target;
    if (d < -early || d > late) continue;
    if (!best || Math.abs(d) < Math.abs(best.tMs - target)) best = e;
  }
  return best;
}

function verdict(o: Outcome): string {
  const ms = (x: number) => `${Math.round(x)} ms`;
  const parts: string[] = [];
  if (o.kind === 'interrupt' || o.kind === 'backchannel' || o.kind === 'noise' || o.kind === 'distractor') {
    if (o.duringSystem) {
      if (o.stopMs === null) parts.push('system kept talking');
      else
        parts.push(
          `system stopped ${ms(o.stopMs - o.onsetMs)} after onset${o.stopMs <= o.offsetMs ? ' (inside)' : ''}`,
        );
      if (o.resumed) parts.push('resumed');
    } else if (o.kind !== 'interrupt' && o.kind !== 'backchannel') {
      parts.push(o.triggered ? 'triggered system speech' : 'no response (good)');
    } else parts.push('system was silent at onset');
  }
  if (o.kind === 'inquiry' || o.kind === 'interrupt') {
    if (o.replyMs === null) parts.push('no reply');
    else
      parts.push(
        `reply ${ms(o.replyMs - o.offsetMs)} after end${o.replyMs < o.offsetMs - EARLY_MS ? ' (early)' : ''}`,
      );
    if (o.pauses) parts.push(`${o.pauseTakeovers}/${o.pauses} pauses taken over`);
  }
  return parts.join('; ');
}

/** Frame F1 of the server's VAD segments against the primary caller's truth, or null when there is no truth. */
export function vadF1(t: Timeline): number | null {
  const truth = t.stimuli.filter((s) => PRIMARY.has(s.kind)).flatMap((s) => s.active);
  if (truth.length === 0) return null;
  const detected: Interval[] = t.events
    .filter((e) => e.type === 'vad.speech_end')
    .map((e) => ({ startMs: e.startMs!, endMs: e.tMs }));
  return frameF1(truth, detected, t.durationMs).f1;
}
