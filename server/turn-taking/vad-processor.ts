/**
 * Pure VAD frame processor: turns a sequence of per-frame speech
 * probabilities into speech start/end events on the audio clock. It knows
 * nothing about models or sockets (after ricky0123/vad's FrameProcessor), so
 * it runs the same live, offline and in unit tests with scripted probabilities.
 */
import { z } from 'zod';
import { concatFloat32 } from '../audio/buffers.ts';

/** The options an operator tunes (config.vad); validated where the server reads its configuration. */
export const VadTuning = z.strictObject({
  /** Probability at or above which a frame counts as speech. Default 0.5. */
  positiveThreshold: z.number().min(0).max(1).default(0.5),
  /** Probability below which a frame counts as silence (hysteresis). Default 0.35. */
  negativeThreshold: z.number().min(0).max(1).default(0.35),
  /** Speech frames needed before a start is declared, in ms. Default 64 (two frames): fast enough for barge-in, still rejects clicks. */
  minSpeechMs: z.number().nonnegative().default(64),
  /** Silence needed after speech before an end is declared (hangover), in ms. Default 400 (FireRedChat's minimum silence). */
  redemptionMs: z.number().nonnegative().default(400),
  /** Audio kept before the onset and attached to the segment (for a recognizer), in ms. Default 320. */
  preSpeechPadMs: z.number().nonnegative().default(320),
});
export type VadTuning = z.infer<typeof VadTuning>;

export interface VadOptions extends VadTuning {
  /** Duration of one frame, in ms. Default 32 (512 samples at 16 kHz). */
  frameMs: number;
  /** Keep the segment's audio (with padding) and return it on speech end. Default false. */
  keepAudio: boolean;
}

export const defaultVadOptions: Readonly<VadOptions> = Object.freeze({
  ...VadTuning.parse({}),
  frameMs: 32,
  keepAudio: false,
});

export type VadEvent =
  | { type: 'speech_start'; startMs: number; confirmedMs: number }
  | { type: 'speech_end'; startMs: number; endMs: number; confirmedMs: number; audio?: Float32Array };

export class VadFrameProcessor {
  readonly options: VadOptions;
  private frameIndex = 0;
  private speaking = false;
  private onsetFrame = -1;
  private positiveFrames = 0;
  private silenceStartFrame = -1;
  private padding: Float32Array[] = [];
  private segment: Float32Array[] = [];

  constructor(options: Partial<VadOptions> = {}) {
    this.options = { ...defaultVadOptions, ...options };
    if (this.options.negativeThreshold > this.options.positiveThreshold) {
      throw new RangeError('negativeThreshold must not exceed positiveThreshold');
    }
  }

  get isSpeaking(): boolean {
    return this.speaking;
  }

  /** ms of audio consumed so far. */
  get clockMs(): number {
    return this.frameIndex * this.options.frameMs;
  }

  /** Feed the probability of the next frame (and the frame itself when keepAudio is on). */
  process(probability: number, frame?: Float32Array): VadEvent[] {
    const o = this.options;
    const k = this.frameIndex++;
    const events: VadEvent[] = [];
    const endOfFrameMs = (k + 1) * o.frameMs;
    if (o.keepAudio && frame) this.keep(frame);

    if (!this.speaking) {
      if (probability >= o.positiveThreshold) {
        if (this.onsetFrame < 0) {
          this.onsetFrame = k;
          this.positiveFrames = 0;
        }
        this.positiveFrames++;
        if (this.positiveFrames * o.frameMs >= o.minSpeechMs) {
          this.speaking = true;
          this.silenceStartFrame = -1;
          events.push({
            type: 'speech_start',
            startMs: this.onsetFrame * o.frameMs,
            confirmedMs: endOfFrameMs,
          });
          if (o.keepAudio) this.startSegment(k - this.onsetFrame + 1);
        }
      } else if (probability < o.negativeThreshold) {
        this.onsetFrame = -1;
        this.positiveFrames = 0;
      }
      return events;
    }

    if (probability >= o.positiveThreshold) {
      this.silenceStartFrame = -1;
    } else if (probability < o.negativeThreshold && this.silenceStartFrame < 0) {
      this.silenceStartFrame = k;
    }
    if (this.silenceStartFrame >= 0 && (k + 1 - this.silenceStartFrame) * o.frameMs >= o.redemptionMs) {
      events.push(this.endSegment(this.silenceStartFrame * o.frameMs, endOfFrameMs));
    }
    return events;
  }

  /** Ends an open segment now (stream over), so no speech is left without its end. */
  flush(): VadEvent[] {
    if (!this.speaking) return [];
    const endFrame = this.silenceStartFrame >= 0 ? this.silenceStartFrame : this.frameIndex;
    return [this.endSegment(endFrame * this.options.frameMs, this.clockMs)];
  }

  reset(): void {
    this.frameIndex = 0;
    this.speaking = false;
    this.onsetFrame = -1;
    this.positiveFrames = 0;
    this.silenceStartFrame = -1;
    this.padding = [];
    this.segment = [];
  }

  private endSegment(endMs: number, confirmedMs: number): VadEvent {
    const event: VadEvent = {
      type: 'speech_end',
      startMs: this.onsetFrame * this.options.frameMs,
      endMs,
      confirmedMs,
    };
    if (this.options.keepAudio) event.audio = concatFloat32(this.segment);
    this.speaking = false;
    this.onsetFrame = -1;
    this.positiveFrames = 0;
    this.silenceStartFrame = -1;
    this.segment = [];
    return event;
  }

  private keep(frame: Float32Array): void {
    const copy = Float32Array.from(frame);
    if (this.speaking) {
      this.segment.push(copy);
      return;
    }
    this.padding.push(copy);
    const maxFrames = Math.ceil(this.options.preSpeechPadMs / this.options.frameMs) + 64;
    if (this.padding.length > maxFrames) this.padding.shift();
  }

  /** Moves the pre-speech padding plus the frames since onset into the segment. */
  private startSegment(framesSinceOnset: number): void {
    const padFrames = Math.ceil(this.options.preSpeechPadMs / this.options.frameMs);
    this.segment = this.padding.slice(Math.max(0, this.padding.length - framesSinceOnset - padFrames));
    this.padding = [];
  }
}
