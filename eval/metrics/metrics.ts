/**
 * FD-Bench, Full-Duplex-Bench and FireRedChat metrics over analysed
 * conversations. Pure functions: timelines in, outcomes and figures out.
 *
 * Every stimulus gets an outcome (what the system did about it); figures are
 * ratios and medians over outcomes. Windows and thresholds are named
 * constants below, each with its reason; docs/EVALUATION.md restates them.
 */
import { frameF1 } from '../../server/turn-taking/vad-offline.ts';
import type { StepKind } from '../scenario/schema.ts';
import { PUBLISHED, type PublishedFigure } from './published.ts';
import { wordErrorRate } from './wer.ts';
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
  /** After a false stop: did the system speak again within RESUME_WINDOW_MS? */
  resumed: boolean | null;
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
      resumed: null,
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
        if (talk && isTakeover(t.system, t.words, talk)) o.pauseTakeovers++;
      }
    }

    if (
      (st.kind === 'backchannel' || st.kind === 'noise' || st.kind === 'distractor') &&
      o.duringSystem &&
      o.stopMs !== null
    ) {
      o.resumed = !!firstOnsetIn(t.system, o.stopMs + 1, Math.min(next, o.stopMs + RESUME_WINDOW_MS));
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

// ------------------------------------------------------------------ aggregation

export type MetricKey =
  | 'srr'
  | 'sir'
  | 'srir'
  | 'eir'
  | 'nir'
  | 'ird'
  | 'fsed'
  | 'tor_pause'
  | 'tor_backchannel'
  | 'latency'
  | 'false_barge_in'
  | 'resume'
  | 'vad_onset'
  | 'vad_offset'
  | 'vad_f1'
  | 'vad_false_trigger'
  | 'greeting_wer';

export interface MetricResult {
  key: MetricKey;
  name: string;
  /** % for rates, ms for delays, ratio for TOR, 0..1 for F1/WER. */
  unit: '%' | 'ms' | 'ratio';
  better: 'higher' | 'lower';
  /** null when not applicable (see `na`). */
  value: number | null;
  /** Rates: numerator and denominator. Delays: number of samples. */
  count?: number;
  n: number;
  p90?: number;
  /** Why there is no value. */
  na?: string;
  definition: string;
  published: PublishedFigure[];
  /** Samples behind a distribution, for the report's plots. */
  values?: number[];
}

export interface AggregateOptions {
  /** pocketsphinx was available (words on timelines are meaningful). */
  asr: boolean;
  /** Expected greeting text, for the greeting WER check. */
  expectedGreeting?: string;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Nearest-rank percentile. */
export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

export function aggregate(
  timelines: Timeline[],
  outcomes: Outcome[],
  options: AggregateOptions,
): MetricResult[] {
  const by = (k: StepKind) => outcomes.filter((o) => o.kind === k);
  const inquiries = by('inquiry');
  const interrupts = by('interrupt');
  const landed = interrupts.filter((o) => o.duringSystem);
  const backchannels = by('backchannel').filter((o) => o.duringSystem);
  const falseStimuli = outcomes.filter(
    (o) => (o.kind === 'noise' || o.kind === 'distractor') && o.duringSystem,
  );
  const gapNoise = outcomes.filter((o) => (o.kind === 'noise' || o.kind === 'distractor') && !o.duringSystem);
  const replies = inquiries.filter((o) => o.replyMs !== null);
  const noReplies =
    replies.length === 0 && inquiries.length > 0
      ? `the system answered none of the ${inquiries.length} inquiries (answers are not implemented yet)`
      : null;

  const def = (
    key: MetricKey,
    name: string,
    unit: MetricResult['unit'],
    better: MetricResult['better'],
    definition: string,
  ) => ({ key, name, unit, better, definition, published: PUBLISHED[key] ?? [] }) as const;
  const rate = (
    d: ReturnType<typeof def>,
    hits: number,
    total: number,
    na?: string | null,
  ): MetricResult => ({
    ...d,
    value: na || total === 0 ? null : ((d.unit === '%' ? 100 : 1) * hits) / total,
    count: hits,
    n: total,
    ...(na ? { na } : total === 0 ? { na: 'no cases in this run' } : {}),
  });
  const delay = (d: ReturnType<typeof def>, values: number[], na?: string | null): MetricResult => ({
    ...d,
    value: na || values.length === 0 ? null : median(values),
    n: values.length,
    ...(values.length ? { p90: percentile(values, 90), values } : {}),
    ...(na ? { na } : values.length === 0 ? { na: 'no cases in this run' } : {}),
  });

  const results: MetricResult[] = [];
  results.push(
    rate(
      def(
        'srr',
        'SRR: success reply rate',
        '%',
        'higher',
        'inquiries followed by system speech within 5 s of their end / inquiries',
      ),
      replies.length,
      inquiries.length,
      noReplies,
    ),
  );
  results.push(
    rate(
      def(
        'sir',
        'SIR: success interrupt rate',
        '%',
        'higher',
        'interruptions during system speech where the system stopped before the caller finished / such interruptions',
      ),
      landed.filter((o) => o.stopMs !== null && o.stopMs <= o.offsetMs).length,
      landed.length,
      landed.length === 0
        ? `none of the ${interrupts.length} scripted interruptions landed while the system spoke`
        : null,
    ),
  );
  results.push(
    rate(
      def(
        'srir',
        'SRIR: success reply to interruption rate',
        '%',
        'higher',
        'interruptions during system speech followed by a reply within 5 s / such interruptions',
      ),
      landed.filter((o) => o.replyMs !== null).length,
      landed.length,
      noReplies ?? (landed.length === 0 ? 'no interruption landed while the system spoke' : null),
    ),
  );
  results.push(
    rate(
      def(
        'eir',
        'EIR: early interrupt rate',
        '%',
        'lower',
        'inquiries where the system started more than 0.5 s before the caller finished / inquiries',
      ),
      inquiries.filter((o) => o.replyMs !== null && o.replyMs < o.offsetMs - EARLY_MS).length,
      inquiries.length,
      noReplies,
    ),
  );
  results.push(
    rate(
      def(
        'nir',
        'NIR: noise interrupt rate',
        '%',
        'lower',
        'noise or distractor speech in a silent gap followed by system speech within 2 s of its end / such gaps',
      ),
      gapNoise.filter((o) => o.triggered).length,
      gapNoise.length,
      noReplies
        ? `vacuous while the system answers nothing (0 of ${gapNoise.length} noise gaps answered): ${noReplies}`
        : null,
    ),
  );
  results.push(
    delay(
      def(
        'ird',
        'IRD: interrupt response delay',
        'ms',
        'lower',
        'median of system stop − onset of the interrupting speech (stops up to 2 s after it ended)',
      ),
      landed.filter((o) => o.stopMs !== null).map((o) => o.stopMs! - o.onsetMs),
      landed.length === 0 ? 'no interruption landed while the system spoke' : null,
    ),
  );
  results.push(
    delay(
      def(
        'fsed',
        'FSED: first speech emitted delay',
        'ms',
        'lower',
        'median of system speech start − end of the inquiry (replies not early)',
      ),
      replies.filter((o) => o.replyMs! >= o.offsetMs - EARLY_MS).map((o) => o.replyMs! - o.offsetMs),
      noReplies,
    ),
  );
  const pauseCount = inquiries.reduce((n, o) => n + o.pauses, 0);
  results.push({
    ...rate(
      def(
        'tor_pause',
        'TOR (pause): takeover rate in mid-turn pauses',
        'ratio',
        'lower',
        'pauses inside an inquiry in which the system took the turn (≥ 1 s or > 3 words) / pauses',
      ),
      inquiries.reduce((n, o) => n + o.pauseTakeovers, 0),
      pauseCount,
      noReplies ? `vacuous while the system takes no turns (0 of ${pauseCount} pauses): ${noReplies}` : null,
    ),
  });
  results.push(
    rate(
      def(
        'tor_backchannel',
        'TOR (backchannel): stop rate on caller backchannels',
        'ratio',
        'lower',
        'backchannels ("uh-huh") over system speech after which the system stopped within 1 s / such backchannels',
      ),
      backchannels.filter((o) => o.stopMs !== null).length,
      backchannels.length,
      backchannels.length === 0 ? 'no backchannel landed while the system spoke' : null,
    ),
  );
  const asrNa = !options.asr ? 'pocketsphinx is not installed: no word timings for the system side' : null;
  results.push(
    delay(
      def(
        'latency',
        'Turn-taking latency',
        'ms',
        'lower',
        'median of first recognized system word − end of the inquiry (pocketsphinx word timings)',
      ),
      replies.filter((o) => o.replyWordMs !== null).map((o) => Math.max(0, o.replyWordMs! - o.offsetMs)),
      noReplies ?? asrNa,
    ),
  );
  results.push(
    rate(
      def(
        'false_barge_in',
        'False barge-in rate',
        '%',
        'lower',
        'noise, coughs and distractor speech over system speech after which the system stopped within 1 s / such stimuli',
      ),
      falseStimuli.filter((o) => o.stopMs !== null).length,
      falseStimuli.length,
      falseStimuli.length === 0 ? 'no noise or distractor landed while the system spoke' : null,
    ),
  );
  const falseStops = outcomes.filter((o) => o.resumed !== null);
  const resumed = falseStops.filter((o) => o.resumed).length;
  results.push(
    rate(
      def(
        'resume',
        'Resume rate after false stops',
        '%',
        'higher',
        'false stops (on backchannel, noise, distractor) after which the system spoke again within 3 s / false stops',
      ),
      resumed,
      falseStops.length,
      falseStops.length === 0
        ? 'the system never stopped on a backchannel, noise or distractor'
        : resumed === 0
          ? `no resumption after any of the ${falseStops.length} false stops: resuming after a false interruption is not implemented yet`
          : null,
    ),
  );

  // Server VAD against ground truth (the server's events, compared with what the caller really said).
  const vadRows = outcomes.flatMap((o) => o.vad);
  const onsetErr = vadRows.filter((r) => r.startErrMs !== null).map((r) => r.startErrMs!);
  const offsetErr = vadRows.filter((r) => r.endErrMs !== null).map((r) => r.endErrMs!);
  const noEvents = timelines.every((t) => !t.events.some((e) => e.type === 'vad.speech_start'))
    ? 'the server sent no vad.* events'
    : null;
  results.push({
    ...delay(
      def(
        'vad_onset',
        'VAD onset error (server vad.speech_start − truth)',
        'ms',
        'lower',
        'median signed error of the server’s speech_start t_ms against the caller’s true speech onset; n = matched onsets',
      ),
      onsetErr,
      noEvents,
    ),
    count: onsetErr.length,
  });
  results.push(
    delay(
      def(
        'vad_offset',
        'VAD offset error (server vad.speech_end − truth)',
        'ms',
        'lower',
        'median signed error of speech_end t_ms against the true end of the utterance (includes no hangover: t_ms is the last speech frame)',
      ),
      offsetErr,
      noEvents,
    ),
  );
  const f1s = timelines.map((t) => vadF1(t)).filter((x): x is number => x !== null);
  results.push({
    ...def(
      'vad_f1',
      'VAD frame F1 (server events vs truth)',
      'ratio',
      'higher',
      'frame-level F1 of the server’s speech segments against the primary caller’s true speech, mean over conversations',
    ),
    value: noEvents || f1s.length === 0 ? null : f1s.reduce((a, b) => a + b, 0) / f1s.length,
    n: f1s.length,
    ...(noEvents ? { na: noEvents } : {}),
  });
  const nonPrimary = outcomes.filter((o) => o.kind === 'noise' || o.kind === 'distractor');
  const triggeredVad = nonPrimary.filter((o) =>
    timelinesById(timelines, o.conversation).events.some(
      (e) => e.type === 'vad.speech_start' && e.tMs >= o.onsetMs - 100 && e.tMs <= o.offsetMs,
    ),
  );
  results.push(
    rate(
      def(
        'vad_false_trigger',
        'VAD trigger rate on noise / other speakers',
        '%',
        'lower',
        'noise, cough and distractor stimuli during which the server sent vad.speech_start / such stimuli (distractors are speech: a plain VAD is expected to fire; a personalized VAD should not)',
      ),
      triggeredVad.length,
      nonPrimary.length,
      noEvents,
    ),
  );
  results.push(greetingWer(timelines, outcomes, options));
  return results;
}

const timelineCache = new WeakMap<Timeline[], Map<string, Timeline>>();
function timelinesById(ts: Timeline[], id: string): Timeline {
  let m = timelineCache.get(ts);
  if (!m) {
    m = new Map(ts.map((t) => [t.id, t]));
    timelineCache.set(ts, m);
  }
  return m.get(id)!;
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

/**
 * The recognizer check: the first system utterance of each conversation
 * that played to its end without any caller stimulus over it, against the
 * expected greeting text.
 */
function greetingWer(timelines: Timeline[], outcomes: Outcome[], options: AggregateOptions): MetricResult {
  const d = {
    key: 'greeting_wer' as const,
    name: 'Greeting WER (pocketsphinx vs script)',
    unit: 'ratio' as const,
    better: 'lower' as const,
    definition:
      'median word error rate of pocketsphinx on greetings that played to the end, against the greeting’s script: checks the independent recognizer, not the system',
    published: [],
  };
  if (!options.asr) return { ...d, value: null, n: 0, na: 'pocketsphinx is not installed' };
  if (!options.expectedGreeting)
    return { ...d, value: null, n: 0, na: 'the greeting text is unknown (pass --greeting-text)' };
  const wers: number[] = [];
  for (const t of timelines) {
    if (!t.words || t.system.length === 0) continue;
    // The first utterance: segments chained by gaps under 1 s (a sentence pause splits VAD segments).
    let end = t.system[0].endMs;
    for (const s of t.system.slice(1)) if (s.startMs - end < 1000) end = s.endMs;
    const cut = outcomes.some((o) => o.conversation === t.id && o.stopMs !== null && o.stopMs <= end);
    if (cut) continue;
    const said = t.words
      .filter((w) => w.startMs >= t.system[0].startMs - 200 && w.endMs <= end + 400)
      .map((w) => w.word);
    wers.push(wordErrorRate(options.expectedGreeting, said.join(' ')));
  }
  return {
    ...d,
    value: wers.length ? median(wers) : null,
    n: wers.length,
    values: wers,
    ...(wers.length ? {} : { na: 'no greeting played to its end (every one was cut)' }),
  };
}
