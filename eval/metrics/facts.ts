/**
 * The outcomes of a suite sorted into the groups its figures are taken over,
 * once, so that each metric in specs.ts only filters and counts.
 */
import type { StepKind } from '../scenario/schema.ts';
import type { Outcome } from './metrics.ts';
import type { Timeline } from './timeline.ts';

export interface AggregateOptions {
  /** pocketsphinx was available (words on timelines are meaningful). */
  asr: boolean;
  /** Expected greeting text, for the greeting WER check. */
  expectedGreeting?: string;
}

export interface SuiteFacts {
  timelines: Timeline[];
  byId: Map<string, Timeline>;
  outcomes: Outcome[];
  options: AggregateOptions;
  inquiries: Outcome[];
  interrupts: Outcome[];
  /** Interruptions that began while the system spoke. */
  landed: Outcome[];
  /** Backchannels over system speech. */
  backchannels: Outcome[];
  /** Noise and distractors over system speech: stopping for them is a false barge-in. */
  falseStimuli: Outcome[];
  /** Noise and distractors in silent gaps. */
  gapNoise: Outcome[];
  /** Inquiries the system replied to. */
  replies: Outcome[];
  /** Why reply-based figures would be vacuous (the system answered no inquiry), or null. */
  noReplies: string | null;
  /** Why server-VAD figures are missing (the server sent no vad.* events), or null. */
  noVadEvents: string | null;
}

export function suiteFacts(
  timelines: Timeline[],
  outcomes: Outcome[],
  options: AggregateOptions,
): SuiteFacts {
  const by = (k: StepKind) => outcomes.filter((o) => o.kind === k);
  const inquiries = by('inquiry');
  const interrupts = by('interrupt');
  const replies = inquiries.filter((o) => o.replyMs !== null);
  const nonPrimary = (o: Outcome) => o.kind === 'noise' || o.kind === 'distractor';
  return {
    timelines,
    byId: new Map(timelines.map((t) => [t.id, t])),
    outcomes,
    options,
    inquiries,
    interrupts,
    landed: interrupts.filter((o) => o.duringSystem),
    backchannels: by('backchannel').filter((o) => o.duringSystem),
    falseStimuli: outcomes.filter((o) => nonPrimary(o) && o.duringSystem),
    gapNoise: outcomes.filter((o) => nonPrimary(o) && !o.duringSystem),
    replies,
    noReplies:
      replies.length === 0 && inquiries.length > 0
        ? `the system answered none of the ${inquiries.length} inquiries (answers are not implemented yet)`
        : null,
    noVadEvents: timelines.every((t) => !t.events.some((e) => e.type === 'vad.speech_start'))
      ? 'the server sent no vad.* events'
      : null,
  };
}
