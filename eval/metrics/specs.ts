/**
 * The suite's metrics, one row each: what the report calls it, which way is
 * better, and how it is taken from the suite's facts. aggregate.ts evaluates
 * the rows in order; the report shows them in the same order.
 */
import type { SuiteFacts } from './facts.ts';
import { EARLY_MS, vadF1, type Outcome } from './metrics.ts';
import type { PublishedFigure } from './published.ts';
import { wordErrorRate } from './wer.ts';

/** % for rates, ms for delays, ratio for TOR, 0..1 for F1/WER. */
export type Unit = PublishedFigure['unit'];

/**
 * How a figure is formed: a share of counted cases, or a summary of
 * samples (median with p90, median alone, or mean).
 */
type Measure =
  | { summary: 'rate'; cases: (f: SuiteFacts) => { hits: number; of: number } }
  | { summary: 'median-p90' | 'median' | 'mean'; samples: (f: SuiteFacts) => number[] };

export type MetricSpec<K extends string = string> = Measure & {
  key: K;
  name: string;
  unit: Unit;
  better: 'higher' | 'lower';
  definition: string;
  /** Why this run gives no value (the cases are still counted), or null. */
  na?: (f: SuiteFacts) => string | null;
  /** Why the metric cannot be taken at all in this run (nothing is counted), or null. */
  unavailable?: (f: SuiteFacts) => string | null;
  /** The reason given when there are no cases; null gives none. Default: NO_CASES. */
  noCases?: string | null;
  /** Also report n as count. */
  countSamples?: boolean;
};

export const NO_CASES = 'no cases in this run';

const count = (os: Outcome[], p: (o: Outcome) => boolean) => os.filter(p).length;
const pauseCount = (f: SuiteFacts) => f.inquiries.reduce((n, o) => n + o.pauses, 0);
const falseStops = (f: SuiteFacts) => f.outcomes.filter((o) => o.resumed !== null);
const noLanding = (f: SuiteFacts) =>
  f.landed.length === 0 ? 'no interruption landed while the system spoke' : null;

const TABLE = [
  {
    key: 'srr',
    name: 'SRR: success reply rate',
    unit: '%',
    better: 'higher',
    definition: 'inquiries followed by system speech within 5 s of their end / inquiries',
    summary: 'rate',
    cases: (f) => ({ hits: f.replies.length, of: f.inquiries.length }),
    na: (f) => f.noReplies,
  },
  {
    key: 'sir',
    name: 'SIR: success interrupt rate',
    unit: '%',
    better: 'higher',
    definition:
      'interruptions during system speech where the system stopped before the caller finished / such interruptions',
    summary: 'rate',
    cases: (f) => ({
      hits: count(f.landed, (o) => o.stopMs !== null && o.stopMs <= o.offsetMs),
      of: f.landed.length,
    }),
    na: (f) =>
      f.landed.length === 0
        ? `none of the ${f.interrupts.length} scripted interruptions landed while the system spoke`
        : null,
  },
  {
    key: 'srir',
    name: 'SRIR: success reply to interruption rate',
    unit: '%',
    better: 'higher',
    definition: 'interruptions during system speech followed by a reply within 5 s / such interruptions',
    summary: 'rate',
    cases: (f) => ({ hits: count(f.landed, (o) => o.replyMs !== null), of: f.landed.length }),
    na: (f) => f.noReplies ?? noLanding(f),
  },
  {
    key: 'eir',
    name: 'EIR: early interrupt rate',
    unit: '%',
    better: 'lower',
    definition: 'inquiries where the system started more than 0.5 s before the caller finished / inquiries',
    summary: 'rate',
    cases: (f) => ({
      hits: count(f.inquiries, (o) => o.replyMs !== null && o.replyMs < o.offsetMs - EARLY_MS),
      of: f.inquiries.length,
    }),
    na: (f) => f.noReplies,
  },
  {
    key: 'nir',
    name: 'NIR: noise interrupt rate',
    unit: '%',
    better: 'lower',
    definition:
      'noise or distractor speech in a silent gap followed by system speech within 2 s of its end / such gaps',
    summary: 'rate',
    cases: (f) => ({ hits: count(f.gapNoise, (o) => !!o.triggered), of: f.gapNoise.length }),
    na: (f) =>
      f.noReplies
        ? `vacuous while the system answers nothing (0 of ${f.gapNoise.length} noise gaps answered): ${f.noReplies}`
        : null,
  },
  {
    key: 'ird',
    name: 'IRD: interrupt response delay',
    unit: 'ms',
    better: 'lower',
    definition: 'median of system stop − onset of the interrupting speech (stops up to 2 s after it ended)',
    summary: 'median-p90',
    samples: (f) => f.landed.filter((o) => o.stopMs !== null).map((o) => o.stopMs! - o.onsetMs),
    na: noLanding,
  },
  {
    key: 'fsed',
    name: 'FSED: first speech emitted delay',
    unit: 'ms',
    better: 'lower',
    definition: 'median of system speech start − end of the inquiry (replies not early)',
    summary: 'median-p90',
    samples: (f) =>
      f.replies.filter((o) => o.replyMs! >= o.offsetMs - EARLY_MS).map((o) => o.replyMs! - o.offsetMs),
    na: (f) => f.noReplies,
  },
  {
    key: 'tor_pause',
    name: 'TOR (pause): takeover rate in mid-turn pauses',
    unit: 'ratio',
    better: 'lower',
    definition: 'pauses inside an inquiry in which the system took the turn (≥ 1 s or > 3 words) / pauses',
    summary: 'rate',
    cases: (f) => ({ hits: f.inquiries.reduce((n, o) => n + o.pauseTakeovers, 0), of: pauseCount(f) }),
    na: (f) =>
      f.noReplies
        ? `vacuous while the system takes no turns (0 of ${pauseCount(f)} pauses): ${f.noReplies}`
        : null,
  },
  {
    key: 'pause_onset',
    name: 'Speech in mid-turn pauses (any length)',
    unit: '%',
    better: 'lower',
    definition:
      'pauses inside an inquiry in which the system started to speak at all / pauses: TOR counts only takeovers of ≥ 1 s or > 3 words, so a system that starts and is cut off by the caller going on scores 0 there',
    summary: 'rate',
    cases: (f) => ({ hits: f.inquiries.reduce((n, o) => n + o.pauseOnsets, 0), of: pauseCount(f) }),
    na: (f) => f.noReplies,
  },
  {
    key: 'tor_backchannel',
    name: 'TOR (backchannel): stop rate on caller backchannels',
    unit: 'ratio',
    better: 'lower',
    definition:
      'backchannels ("uh-huh") over system speech after which the system stopped within 1 s / such backchannels',
    summary: 'rate',
    cases: (f) => ({ hits: count(f.backchannels, (o) => o.stopMs !== null), of: f.backchannels.length }),
    na: (f) => (f.backchannels.length === 0 ? 'no backchannel landed while the system spoke' : null),
  },
  {
    key: 'latency',
    name: 'Turn-taking latency',
    unit: 'ms',
    better: 'lower',
    definition: 'median of first recognized system word − end of the inquiry (pocketsphinx word timings)',
    summary: 'median-p90',
    samples: (f) =>
      f.replies.filter((o) => o.replyWordMs !== null).map((o) => Math.max(0, o.replyWordMs! - o.offsetMs)),
    na: (f) =>
      f.noReplies ??
      (!f.options.asr ? 'pocketsphinx is not installed: no word timings for the system side' : null),
  },
  {
    key: 'false_barge_in',
    name: 'False barge-in rate',
    unit: '%',
    better: 'lower',
    definition:
      'noise, coughs and distractor speech over system speech after which the system stopped within 1 s / such stimuli',
    summary: 'rate',
    cases: (f) => ({ hits: count(f.falseStimuli, (o) => o.stopMs !== null), of: f.falseStimuli.length }),
    na: (f) => (f.falseStimuli.length === 0 ? 'no noise or distractor landed while the system spoke' : null),
  },
  {
    key: 'resume',
    name: 'Resume rate after false stops',
    unit: '%',
    better: 'higher',
    definition:
      'false stops (on backchannel, noise, distractor) after which the system spoke again within 3 s / false stops',
    summary: 'rate',
    cases: (f) => ({ hits: count(falseStops(f), (o) => !!o.resumed), of: falseStops(f).length }),
    na: (f) => {
      const stops = falseStops(f);
      if (stops.length === 0) return 'the system never stopped on a backchannel, noise or distractor';
      if (stops.some((o) => o.resumed)) return null;
      return `no resumption after any of the ${stops.length} false stops: resuming after a false interruption is not implemented yet`;
    },
  },
  {
    key: 'resume_gap',
    name: 'False-stop gap (stop to resumption)',
    unit: 'ms',
    better: 'lower',
    definition:
      'median silence a resumed false stop left in the system speech: resumption − stop (a pause-and-resume design stops on every backchannel; this is what it costs the caller)',
    summary: 'median-p90',
    samples: (f) => falseStops(f).flatMap((o) => (o.resumeMs !== null ? [o.resumeMs - o.stopMs!] : [])),
    noCases: 'no false stop was resumed',
  },
  {
    key: 'vad_onset',
    name: 'VAD onset error (server vad.speech_start − truth)',
    unit: 'ms',
    better: 'lower',
    definition:
      'median signed error of the server’s speech_start t_ms against the caller’s true speech onset; n = matched onsets',
    summary: 'median-p90',
    samples: (f) =>
      f.outcomes.flatMap((o) => o.vad).flatMap((r) => (r.startErrMs === null ? [] : [r.startErrMs])),
    na: (f) => f.noVadEvents,
    countSamples: true,
  },
  {
    key: 'vad_offset',
    name: 'VAD offset error (server vad.speech_end − truth)',
    unit: 'ms',
    better: 'lower',
    definition:
      'median signed error of speech_end t_ms against the true end of the utterance (includes no hangover: t_ms is the last speech frame)',
    summary: 'median-p90',
    samples: (f) =>
      f.outcomes.flatMap((o) => o.vad).flatMap((r) => (r.endErrMs === null ? [] : [r.endErrMs])),
    na: (f) => f.noVadEvents,
  },
  {
    key: 'vad_f1',
    name: 'VAD frame F1 (server events vs truth)',
    unit: 'ratio',
    better: 'higher',
    definition:
      'frame-level F1 of the server’s speech segments against the primary caller’s true speech, mean over conversations',
    summary: 'mean',
    samples: (f) => f.timelines.map((t) => vadF1(t)).filter((x): x is number => x !== null),
    na: (f) => f.noVadEvents,
    noCases: null,
  },
  {
    key: 'vad_false_trigger',
    name: 'VAD trigger rate on noise / other speakers',
    unit: '%',
    better: 'lower',
    definition:
      'noise, cough and distractor stimuli during which the server sent vad.speech_start / such stimuli (distractors are speech: a plain VAD is expected to fire; a personalized VAD should not)',
    summary: 'rate',
    cases: (f) => {
      const stimuli = f.outcomes.filter((o) => o.kind === 'noise' || o.kind === 'distractor');
      const fired = (o: Outcome) =>
        f.byId
          .get(o.conversation)!
          .events.some(
            (e) => e.type === 'vad.speech_start' && e.tMs >= o.onsetMs - 100 && e.tMs <= o.offsetMs,
          );
      return { hits: count(stimuli, fired), of: stimuli.length };
    },
    na: (f) => f.noVadEvents,
  },
  {
    key: 'greeting_wer',
    name: 'Greeting WER (pocketsphinx vs script)',
    unit: 'ratio',
    better: 'lower',
    definition:
      'median word error rate of pocketsphinx on greetings that played to the end, against the greeting’s script: checks the independent recognizer, not the system',
    summary: 'median',
    samples: greetingWers,
    unavailable: (f) =>
      !f.options.asr
        ? 'pocketsphinx is not installed'
        : !f.options.expectedGreeting
          ? 'the greeting text is unknown (pass --greeting-text)'
          : null,
    noCases: 'no greeting played to its end (every one was cut)',
  },
] as const satisfies readonly MetricSpec[];

export type MetricKey = (typeof TABLE)[number]['key'];

export const METRICS: readonly MetricSpec<MetricKey>[] = TABLE;

/**
 * The recognizer check: the first system utterance of each conversation
 * that played to its end without any caller stimulus over it, against the
 * expected greeting text.
 */
function greetingWers(f: SuiteFacts): number[] {
  const wers: number[] = [];
  for (const t of f.timelines) {
    if (!t.words || t.system.length === 0) continue;
    // The first utterance: segments chained by gaps under 1 s (a sentence pause splits VAD segments).
    let end = t.system[0].endMs;
    for (const s of t.system.slice(1)) if (s.startMs - end < 1000) end = s.endMs;
    const cut = f.outcomes.some((o) => o.conversation === t.id && o.stopMs !== null && o.stopMs <= end);
    if (cut) continue;
    const said = t.words
      .filter((w) => w.startMs >= t.system[0].startMs - 200 && w.endMs <= end + 400)
      .map((w) => w.word);
    wers.push(wordErrorRate(f.options.expectedGreeting!, said.join(' ')));
  }
  return wers;
}
