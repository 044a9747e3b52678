/**
 * The simulated caller: a tick-driven state machine that produces the
 * caller's audio 20 ms at a time and reacts to what it observes (server
 * events, the system's audio). It owns no socket and no timer, so it runs the
 * same in a real-time session, a faster-than-real-time one, and unit tests.
 *
 * Its clock is the number of samples it has produced: the session audio
 * clock of protocol v1 (`t_ms`), so everything it logs lines up with the
 * server's events and with the recording.
 */
import { DEFAULT_TAIL_MS, DEFAULT_TIMEOUT_MS, type StepKind } from '../scenario/schema.ts';
import type { Interval, PreparedConversation, PreparedStep } from './prepare.ts';
import { SR } from './sounds.ts';

export const FRAME_MS = 20;
export const FRAME_SAMPLES = (SR * FRAME_MS) / 1000;

/** A step as it was actually played, on the session clock. */
export interface PlacedStep {
  index: number;
  kind: StepKind;
  /** First sample of the clip, ms. */
  startMs: number;
  endMs: number;
  /** Sound inside the clip (speech extents, or the noise), absolute ms. */
  active: Interval[];
  pauses: Interval[];
  source: string;
  text: string;
  /** For event-triggered steps: the event and when the caller saw it. */
  trigger?: { event: string; eventMs: number; delayMs: number };
}

export interface SkippedStep {
  index: number;
  kind: StepKind;
  atMs: number;
  reason: string;
}

/** Observations that say the system's output stopped at the caller. */
const OFF_AIR: ReadonlySet<string> = new Set(['audio.clear', 'output.end']);

export interface ObservedEvent {
  name: string;
  atMs: number;
}

export class SimulatedCaller {
  readonly placed: PlacedStep[] = [];
  readonly skipped: SkippedStep[] = [];
  readonly observed: ObservedEvent[] = [];
  private sample = 0;
  private cursor = 0;
  /** When the current step became due (previous step ended or was skipped), ms. */
  private dueAtMs = 0;
  /** Start of the previous placed step: an event that fired during it still counts (an early reply). */
  private prevStartMs = 0;
  private scheduledStart: number | null = null;
  private scheduledTrigger: PlacedStep['trigger'];
  private playing: Array<{ at: number; samples: Float32Array }> = [];
  private lastEndSample = 0;
  private endSample: number | null = null;

  constructor(readonly prepared: PreparedConversation) {}

  get clockMs(): number {
    return (this.sample * 1000) / SR;
  }

  /** True once every step was played or skipped and the tail has elapsed. */
  get finished(): boolean {
    return this.endSample !== null && this.sample >= this.endSample;
  }

  /** Records an observation (`output.start:greeting`, `system.audio`, ...) at the given clock time (default now). */
  notify(name: string, atMs = this.clockMs): void {
    this.observed.push({ name, atMs });
  }

  /** The next 20 ms of caller audio. */
  nextFrame(): Float32Array {
    const frame = new Float32Array(FRAME_SAMPLES);
    const from = this.sample;
    const to = from + FRAME_SAMPLES;
    // Steps may start at any sample inside the frame, and several may start in one frame.
    for (let guard = 0; guard < 8; guard++) {
      const start = this.plan(from, to);
      if (start === null || start >= to) break;
      this.begin(start);
    }
    const bg = this.prepared.background;
    if (bg) for (let i = 0; i < FRAME_SAMPLES; i++) frame[i] += bg[(from + i) % bg.length];
    for (const clip of this.playing) {
      const a = Math.max(from, clip.at);
      const b = Math.min(to, clip.at + clip.samples.length);
      for (let s = a; s < b; s++) frame[s - from] += clip.samples[s - clip.at];
    }
    this.playing = this.playing.filter((c) => c.at + c.samples.length > to);
    this.sample = to;
    return frame;
  }

  /**
   * Decides when the current step starts, in samples (null: not yet known).
   * Skips steps whose event did not come in time.
   */
  private plan(from: number, to: number): number | null {
    const steps = this.prepared.steps;
    while (this.cursor < steps.length) {
      if (this.scheduledStart !== null) return Math.max(this.scheduledStart, from);
      const { step } = steps[this.cursor];
      const dueSample = msToSample(this.dueAtMs);
      if (dueSample >= to) return null;
      if (step.gap_ms !== undefined) {
        this.scheduledStart = msToSample(this.dueAtMs + step.gap_ms);
        this.scheduledTrigger = undefined;
        continue;
      }
      const when = step.send_after!;
      const seen = this.observed.find(
        (e) =>
          matches(e.name, when.event) &&
          e.atMs >= Math.min(this.prevStartMs, this.dueAtMs) &&
          !this.wentOffAir(e.atMs, this.dueAtMs),
      );
      if (seen) {
        this.scheduledStart = Math.max(msToSample(seen.atMs + when.delay_ms), dueSample);
        this.scheduledTrigger = { event: seen.name, eventMs: seen.atMs, delayMs: when.delay_ms };
        continue;
      }
      const deadline = msToSample(this.dueAtMs + (when.timeout_ms ?? DEFAULT_TIMEOUT_MS));
      if (deadline >= to) return null;
      this.skipped.push({
        index: this.cursor,
        kind: step.kind,
        atMs: sampleToMs(deadline),
        reason: `${when.event} not seen within ${when.timeout_ms ?? DEFAULT_TIMEOUT_MS} ms`,
      });
      this.cursor++;
      this.dueAtMs = sampleToMs(Math.max(deadline, dueSample));
      this.lastEndSample = Math.max(this.lastEndSample, deadline);
    }
    if (this.endSample === null) {
      const tail = this.prepared.conversation.tail_ms ?? DEFAULT_TAIL_MS;
      this.endSample = Math.max(this.lastEndSample, msToSample(this.dueAtMs)) + msToSample(tail);
    }
    return null;
  }

  /**
   * An output that started before the step was due (during the caller's previous step: an
   * early reply) still counts, unless the caller already heard it stop (`audio.clear` or
   * `output.end`) before then: a reply begun in the caller's pause and cut off by their going
   * on is not the reply to talk over. Without this, the step fired at the caller's own end.
   */
  private wentOffAir(startedMs: number, dueMs: number): boolean {
    if (startedMs >= dueMs) return false;
    return this.observed.some((e) => OFF_AIR.has(e.name) && e.atMs >= startedMs && e.atMs < dueMs);
  }

  private begin(startSample: number): void {
    const prepared: PreparedStep = this.prepared.steps[this.cursor];
    const clip = prepared.clip;
    const startMs = sampleToMs(startSample);
    const endSample = startSample + clip.samples.length;
    const shift = (xs: Interval[]) =>
      xs.map((x) => ({ startMs: startMs + x.startMs, endMs: startMs + x.endMs }));
    this.placed.push({
      index: prepared.index,
      kind: prepared.step.kind,
      startMs,
      endMs: sampleToMs(endSample),
      active: shift(clip.active),
      pauses: shift(clip.pauses),
      source: clip.source,
      text: clip.text,
      ...(this.scheduledTrigger ? { trigger: this.scheduledTrigger } : {}),
    });
    this.playing.push({ at: startSample, samples: clip.samples });
    this.cursor++;
    this.prevStartMs = startMs;
    this.dueAtMs = sampleToMs(endSample);
    this.lastEndSample = endSample;
    this.scheduledStart = null;
    this.scheduledTrigger = undefined;
  }
}

/** `output.start` matches `output.start:greeting` and `output.start:reply`. */
export function matches(observed: string, wanted: string): boolean {
  return observed === wanted || observed.startsWith(`${wanted}:`);
}

const msToSample = (ms: number) => Math.round((ms * SR) / 1000);
const sampleToMs = (s: number) => (s * 1000) / SR;
