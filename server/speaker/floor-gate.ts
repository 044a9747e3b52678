/**
 * Who may take the floor: the baseline personalized VAD. Silero finds speech; this gate asks
 * whether each stretch of it is the enrolled caller's voice, by the cosine between a speaker
 * embedding of the stretch (its latest `windowMs`) and the caller's voiceprint. Only the
 * caller's speech may barge in; another voice or noise that passed the VAD is reported and
 * left alone (docs/turn-taking.md, "Who may take the floor").
 *
 * Sequential decision: the first score comes after `firstDecisionMs` of speech (a fast
 * barge-in); a stretch that does not reach `acceptCosine` is scored again every `hopMs` on a
 * longer window, because a longer window separates voices better (models/speaker/MODEL_CARD.md:
 * EER 0.5 s > 1 s > whole clips). A stretch never accepted by its end is 'other'.
 *
 * Enrollment is automatic: the caller's first stretches of speech of at least
 * `enrollMinStretchMs`, heard while banter was silent (so its own voice cannot come back as
 * the caller's), until `enrollSpeechMs` of speech; until then every voice may take the floor,
 * as with a plain VAD (a caller who has not spoken yet has no voiceprint to match). The
 * voiceprint is refined by later long stretches that match it well (`refreshCosine`).
 *
 * Pure apart from the injected encoder: frames and VAD events in, decisions out, no clock.
 */
import { z } from 'zod';
import { concatFloat32 } from '../audio/buffers.ts';
import { PIPELINE_SAMPLE_RATE } from '../audio/rates.ts';
import type { VadEvent } from '../turn-taking/vad-processor.ts';
import { cosine, l2normalize } from './speaker-encoder.ts';
import type { SpeakerEmbedding, SpeakerEncoder } from './speaker-gate.ts';

export const SpeakerGateOptions = z.strictObject({
  /**
   * 'verify': only speech that matches the caller's voiceprint may barge in. 'off' (default
   * until the evaluation shows it helps): every voice the VAD hears may (the plain-VAD baseline).
   */
  mode: z.enum(['off', 'verify']).default('off'),
  /** Speech the automatic voiceprint is made from, ms. Default 3000. */
  enrollSpeechMs: z.number().positive().default(3000),
  /** Stretches shorter than this are not enrolled (a cough, an "uh-huh"), ms. Default 800. */
  enrollMinStretchMs: z.number().nonnegative().default(800),
  /** Speech heard before a stretch is first scored, ms. Default 250. */
  firstDecisionMs: z.number().positive().default(250),
  /** Period of the later scores of a stretch not yet accepted, ms. Default 160. */
  hopMs: z.number().positive().default(160),
  /**
   * Consecutive scores at or above the threshold a stretch needs (1: the first that passes).
   * Each later score of a stretch is one more chance for another voice to pass by luck; asking
   * for two in a row costs the caller one hop. Default 1.
   */
  confirmScores: z.number().int().min(1).max(5).default(1),
  /** Longest stretch of the latest speech that is embedded, ms. Default 2000. */
  windowMs: z.number().positive().default(2000),
  /**
   * Cosine with the voiceprint at or above which speech is the caller's, whatever its length.
   * Default: the encoder's own curve by length (manifest `speaker.thresholds`: per length, the
   * cosine only 5% of other dev-set voices reach; interpolated), or 0.3 for an encoder
   * without one, plus `acceptMargin`.
   */
  acceptCosine: z.number().min(-1).max(1).optional(),
  /**
   * Added to the encoder's curve: above 0 fewer other voices get through and the caller waits
   * longer for the floor, below 0 the reverse (eval/speaker/pvad.ts measures both sides).
   * Default 0.
   */
  acceptMargin: z.number().min(-1).max(1).default(0),
  /** A stretch of the caller's of 2 s or more scoring at least this refines the voiceprint. Default 0.55. */
  refreshCosine: z.number().min(-1).max(1).default(0.55),
  /** Weight of such a stretch in the refined voiceprint (running mean). Default 0.2. */
  refreshWeight: z.number().min(0).max(1).default(0.2),
});
export type SpeakerGateOptions = z.infer<typeof SpeakerGateOptions>;

/** A same-voice threshold curve: [ms of speech, cosine] points, by increasing length. */
export type ThresholdCurve = readonly { speech_ms: number; cosine: number }[];

const FALLBACK_COSINE = 0.3;

/** The threshold for a stretch of `ms`: interpolated between the curve's points, flat beyond its ends. */
export function thresholdAt(curve: ThresholdCurve, ms: number): number {
  const pts = [...curve].sort((a, b) => a.speech_ms - b.speech_ms);
  if (ms <= pts[0].speech_ms) return pts[0].cosine;
  for (let i = 1; i < pts.length; i++) {
    if (ms <= pts[i].speech_ms) {
      const a = pts[i - 1];
      const b = pts[i];
      return a.cosine + ((b.cosine - a.cosine) * (ms - a.speech_ms)) / (b.speech_ms - a.speech_ms);
    }
  }
  return pts[pts.length - 1].cosine;
}

export type GateDecision =
  /** The stretch that began at `startMs` is the caller's (`score` null: no voiceprint yet, every voice counts). */
  | { type: 'primary'; startMs: number; atMs: number; score: number | null }
  /** The stretch ended without matching the voiceprint: another voice, or noise. */
  | { type: 'other'; startMs: number; atMs: number; score: number | null }
  /** A voiceprint was made (or given) from `speechMs` of speech. */
  | { type: 'enrolled'; atMs: number; speechMs: number; source: 'auto' | 'explicit' };

interface Stretch {
  startMs: number;
  /** Frames since onset (plus the pre-roll), newest last. */
  frames: Float32Array[];
  speechMs: number;
  verdict: 'pending' | 'primary' | 'other';
  best: number | null;
  /** Scores in a row at or above the threshold. */
  passes: number;
  lastScoredMs: number;
  /** Banter was on the air at some point of it: not for enrollment. */
  overOutput: boolean;
}

const PRE_ROLL_FRAMES = 4;
/** Only stretches this long refine a voiceprint: short ones carry too little of the voice, ms. */
const REFRESH_MIN_MS = 2000;

export class FloorGate {
  private voiceprint: SpeakerEmbedding | null = null;
  private stretch: Stretch | null = null;
  private readonly preRoll: Float32Array[] = [];
  private enrollment: Float32Array[] = [];
  private enrollmentMs = 0;
  private work: Promise<void> = Promise.resolve();
  /** Speech frames of an explicit enrollment recording, and whether the VAD is inside speech. */
  private explicit: Float32Array[] = [];
  private enrolling = false;
  private inFlight = false;

  private readonly threshold: (ms: number) => number;

  constructor(
    private readonly encoder: SpeakerEncoder,
    private readonly options: SpeakerGateOptions,
    private readonly decide: (d: GateDecision) => void,
    private readonly onError: (err: unknown) => void = () => {},
  ) {
    // The encoder's own curve (its manifest) plus the margin, unless the operator fixed one threshold.
    const curve = encoder.thresholds;
    const fixed = options.acceptCosine;
    const margin = options.acceptMargin;
    if (fixed !== undefined) this.threshold = () => fixed;
    else if (curve) this.threshold = (ms) => thresholdAt(curve, ms) + margin;
    else this.threshold = () => FALLBACK_COSINE + margin;
  }

  /** The cosine a stretch of `ms` must reach to count as the caller's. */
  acceptAt(ms: number): number {
    return this.threshold(ms);
  }

  get enrolled(): SpeakerEmbedding | null {
    return this.voiceprint;
  }

  /** An explicit voiceprint (enrollment audio, a stored print): replaces the current one. */
  enroll(embedding: SpeakerEmbedding, atMs: number): void {
    this.voiceprint = { vector: l2normalize(embedding.vector), speechMs: embedding.speechMs };
    this.decide({ type: 'enrolled', atMs, speechMs: Math.round(embedding.speechMs), source: 'explicit' });
    this.enrollment = [];
    this.enrollmentMs = 0;
  }

  /**
   * One frame of an explicit enrollment recording (session.start `enroll_ms`): its speech
   * frames (by the VAD's events) are kept for finishEnrollment. Nothing is decided meanwhile.
   */
  enrollFrame(frame: Float32Array, events: readonly VadEvent[]): void {
    if (events.some((e) => e.type === 'speech_start')) {
      this.enrolling = true;
      this.explicit.push(...this.preRoll);
    }
    if (this.enrolling) this.explicit.push(frame);
    if (events.some((e) => e.type === 'speech_end')) this.enrolling = false;
    this.preRoll.push(frame);
    if (this.preRoll.length > PRE_ROLL_FRAMES) this.preRoll.shift();
  }

  /**
   * Makes the voiceprint from the recording's speech. False (and no voiceprint) when it held
   * less than `enrollMinStretchMs` of speech; automatic enrollment then goes on as usual.
   */
  async finishEnrollment(atMs: number): Promise<boolean> {
    const speech = concatFloat32(this.explicit);
    this.explicit = [];
    this.enrolling = false;
    this.preRoll.length = 0;
    if ((speech.length / PIPELINE_SAMPLE_RATE) * 1000 < Math.max(500, this.options.enrollMinStretchMs))
      return false;
    const print = await this.encoder.embed(speech);
    this.enroll(print, atMs);
    return true;
  }

  /** Forgets the voiceprint (the caller asked, or the line changed hands). */
  forget(): void {
    this.voiceprint = null;
    this.enrollment = [];
    this.enrollmentMs = 0;
  }

  /**
   * One VAD frame (at the pipeline rate) with the events it produced; `atMs` is the audio clock
   * at the frame's end, `outputPlaying` whether banter's audio was on the air.
   */
  frame(frame: Float32Array, events: readonly VadEvent[], atMs: number, outputPlaying: boolean): void {
    const frameMs = (frame.length / PIPELINE_SAMPLE_RATE) * 1000;
    for (const e of events) {
      if (e.type === 'speech_start') this.open(e.startMs, atMs);
    }
    const s = this.stretch;
    if (s) {
      s.frames.push(frame);
      s.speechMs += frameMs;
      s.overOutput ||= outputPlaying;
      const keep = Math.ceil((Math.max(this.options.windowMs, this.options.enrollSpeechMs) + 200) / frameMs);
      if (s.frames.length > keep) s.frames.splice(0, s.frames.length - keep);
      if (
        s.verdict === 'pending' &&
        !this.inFlight &&
        s.speechMs >= this.options.firstDecisionMs &&
        atMs - s.lastScoredMs >= this.options.hopMs
      ) {
        this.score(s, atMs, false);
      }
    }
    for (const e of events) {
      if (e.type === 'speech_end') this.close(e.endMs, atMs);
    }
    this.preRoll.push(frame);
    if (this.preRoll.length > PRE_ROLL_FRAMES) this.preRoll.shift();
  }

  /** The stream is over: the VAD's closing events (a speech end) without a frame. */
  flush(events: readonly VadEvent[], atMs: number): void {
    for (const e of events) {
      if (e.type === 'speech_end') this.close(e.endMs, atMs);
    }
  }

  /** Resolves once every embedding started so far has been scored (and its decision made). */
  idle(): Promise<void> {
    return this.work;
  }

  private open(startMs: number, atMs: number): void {
    const verify = this.options.mode === 'verify' && this.voiceprint !== null;
    this.stretch = {
      startMs,
      frames: [...this.preRoll],
      speechMs: 0,
      verdict: verify ? 'pending' : 'primary',
      best: null,
      passes: 0,
      lastScoredMs: -Infinity,
      overOutput: false,
    };
    if (!verify) this.decide({ type: 'primary', startMs, atMs, score: null });
  }

  private close(endMs: number, atMs: number): void {
    const s = this.stretch;
    this.stretch = null;
    if (!s) return;
    if (s.verdict === 'pending') this.score(s, atMs, true);
    else if (s.verdict === 'primary') this.afterPrimary(s, endMs);
  }

  private windowOf(s: Stretch, ms: number): Float32Array {
    const all = concatFloat32(s.frames);
    const n = Math.min(all.length, Math.round((ms / 1000) * PIPELINE_SAMPLE_RATE));
    return all.subarray(all.length - n);
  }

  /** Scores the stretch's latest window; `final`: the stretch is over, so decide either way. */
  private score(s: Stretch, atMs: number, final: boolean): void {
    const print = this.voiceprint;
    if (!print) return;
    s.lastScoredMs = atMs;
    const audio = this.windowOf(s, this.options.windowMs);
    const needed = this.threshold((audio.length / PIPELINE_SAMPLE_RATE) * 1000);
    this.inFlight = true;
    this.work = this.work
      .then(async () => {
        const { vector } = await this.encoder.embed(audio);
        const score = cosine(vector, print.vector);
        s.best = s.best === null ? score : Math.max(s.best, score);
        if (s.verdict !== 'pending') return;
        s.passes = score >= needed ? s.passes + 1 : 0;
        // The stretch's last score decides alone: there is no later one to confirm it.
        if (s.passes >= this.options.confirmScores || (final && score >= needed)) {
          s.verdict = 'primary';
          this.decide({ type: 'primary', startMs: s.startMs, atMs, score });
          if (final) this.afterPrimary(s, atMs);
        } else if (final) {
          s.verdict = 'other';
          this.decide({ type: 'other', startMs: s.startMs, atMs, score: s.best });
        }
      })
      .catch(this.onError)
      .finally(() => (this.inFlight = false));
  }

  /** A stretch of the caller's: enroll from it, or refine the voiceprint with it. */
  private afterPrimary(s: Stretch, atMs: number): void {
    if (this.options.mode === 'off' || s.overOutput || s.speechMs < this.options.enrollMinStretchMs) return;
    if (!this.voiceprint) {
      const audio = this.windowOf(s, this.options.enrollSpeechMs - this.enrollmentMs);
      this.enrollment.push(audio);
      this.enrollmentMs += (audio.length / PIPELINE_SAMPLE_RATE) * 1000;
      if (this.enrollmentMs < this.options.enrollSpeechMs - 1) return;
      const speech = concatFloat32(this.enrollment);
      this.enrollment = [];
      this.enrollmentMs = 0;
      this.queue(async () => {
        const print = await this.encoder.embed(speech);
        if (this.voiceprint) return; // an explicit enrollment came first
        this.voiceprint = print;
        this.decide({ type: 'enrolled', atMs, speechMs: Math.round(print.speechMs), source: 'auto' });
      });
      return;
    }
    if (s.speechMs < REFRESH_MIN_MS) return;
    const audio = this.windowOf(s, this.options.windowMs);
    const before = this.voiceprint;
    this.queue(async () => {
      const { vector } = await this.encoder.embed(audio);
      if (this.voiceprint !== before || cosine(vector, before.vector) < this.options.refreshCosine) return;
      const w = this.options.refreshWeight;
      this.voiceprint = {
        vector: l2normalize(before.vector.map((x, i) => (1 - w) * x + w * vector[i])),
        speechMs: before.speechMs + s.speechMs,
      };
    });
  }

  private queue(task: () => Promise<void>): void {
    this.work = this.work.then(task).catch(this.onError);
  }
}
