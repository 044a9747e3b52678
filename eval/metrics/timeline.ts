/**
 * The analysed form of one recorded conversation: what the caller did (with
 * ground truth), when the system was audible (Silero VAD on the system
 * channel), what it said (pocketsphinx), and the server's own events. All
 * metrics are pure functions of timelines, so they are tested on timelines
 * with known answers and on synthetic recordings turned into timelines.
 */
import type { PlacedStep, SkippedStep } from '../caller/caller.ts';
import type { Interval } from '../caller/prepare.ts';
import type { Word } from './asr.ts';

export type { Interval, PlacedStep, SkippedStep, Word };

/** A server event reduced to what the metrics and the report use. */
export interface ServerEventMark {
  type: string;
  /** On the session audio clock (the server's `t_ms`). */
  tMs: number;
  /** When it reached the caller, caller clock ms. */
  atMs: number;
  /** vad.speech_end's start_ms; output.*'s kind/id/reason. */
  startMs?: number;
  kind?: string;
  reason?: string;
}

export interface Timeline {
  id: string;
  description?: string;
  difficulty?: string;
  voice?: string;
  background?: string;
  durationMs: number;
  /** The caller's stimuli as played, with ground truth. */
  stimuli: PlacedStep[];
  skipped: SkippedStep[];
  /** System speech as the caller heard it (Silero VAD on the system channel). */
  system: Interval[];
  /** Caller-channel speech as Silero hears it (mixture with noise), for display and imported recordings. */
  callerVad: Interval[];
  /** System words from pocketsphinx; null when the recognizer was unavailable. */
  words: Word[] | null;
  events: ServerEventMark[];
  notes: string[];
  error?: string;
  /** Relative path of the stereo recording (caller left, system right), when kept. */
  recording?: string;
}
