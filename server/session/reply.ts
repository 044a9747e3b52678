/**
 * A reply handle (after agents-js's SpeechHandle): one utterance of banter, streamed in chunks
 * as its producer (the greeting today, the TTS later) makes them, and cut the moment it is
 * interrupted. Its AbortSignal tells every stage upstream to stop; `heardMs` says how much of
 * it the caller has played, which is what the conversation keeps after an interruption.
 *
 * The handle knows nothing of encoders or sockets: it talks to a ReplySink (the session's
 * playout), so it is tested with a scripted sink and clock.
 */
import { msForSamples, samplesForMs } from '../audio/rates.ts';
import type { ReplyKind } from './events.ts';

/** The output side a reply plays through. Positions are ms on the output stream's axis. */
export interface ReplySink {
  /** Encodes and queues audio (pipeline rate) of this reply. */
  write(pcm: Float32Array): void;
  /** Queues the encoder's tail; `onSent` once the reply's last frame is on the wire. */
  finish(onSent: () => void): void;
  /** Drops every queued frame of this reply. */
  cut(): void;
  /** Output position the caller has played by now (estimated, or as the caller reported). */
  playedMs(): number;
  /** Resolves once the sink holds no more than `aheadMs` of unsent audio. */
  room(aheadMs: number): Promise<void>;
  /** Output position where audio written now would start (after what is queued). */
  queuedEndMs(): number;
}

export type ReplyState = 'playing' | 'paused' | 'ending' | 'done' | 'interrupted';

export interface ReplyOutcome {
  reason: 'done' | 'interrupted';
  /** ms of the reply the caller heard: all of it when done, up to the cut when interrupted. */
  heardMs: number;
  /** ms of audio the producer pushed. */
  pushedMs: number;
}

export interface ReplyHooks {
  /** Called synchronously when the reply's last frame was sent. */
  onDone?(handle: ReplyHandle): void;
  /** Called synchronously when the reply was cut, after the sink dropped its audio. */
  onInterrupted?(handle: ReplyHandle, heardMs: number): void;
  /** Called when the reply was paused (its queued audio dropped, its state kept). */
  onPaused?(handle: ReplyHandle, heardMs: number): void;
  /** Called when a paused reply plays again, from `fromMs` of its audio. */
  onResumed?(handle: ReplyHandle, fromMs: number): void;
}

export class ReplyHandle {
  private readonly abort = new AbortController();
  private current: ReplyState = 'playing';
  private pushedSamples = 0;
  private finalHeardMs: number | null = null;
  /** Every chunk pushed (a resume plays from any point of it again). */
  private readonly audio: Float32Array[] = [];
  /** Where the audio now on the air started: its position in the reply, and in the output stream. */
  private segment: { replyMs: number; outputMs: number };
  /** Reply ms that went to the sink in the current segment (after a resume, from `segment.replyMs`). */
  private sentSamples = 0;
  /** The producer called end() (while paused the tail waits for the resume). */
  private producerDone = false;
  private wakePaused: (() => void) | null = null;
  private settle!: (outcome: ReplyOutcome) => void;
  /** Settles when the reply is over, either way; never rejects. */
  readonly done: Promise<ReplyOutcome> = new Promise((resolve) => (this.settle = resolve));

  constructor(
    readonly id: string,
    readonly kind: ReplyKind,
    /** Output position of the reply's first sample. */
    readonly startOutputMs: number,
    private readonly sink: ReplySink,
    /** Whether caller speech may cut it (turn-taking policies read this). */
    readonly interruptible = true,
    private readonly hooks: ReplyHooks = {},
    /** Whether a barge-in may pause it and play it on (a reply) rather than cut it (the greeting). */
    readonly resumable = false,
  ) {
    this.segment = { replyMs: 0, outputMs: startOutputMs };
  }

  /** Aborted when the reply is interrupted or abandoned: producers stop on it. */
  get signal(): AbortSignal {
    return this.abort.signal;
  }

  get state(): ReplyState {
    return this.current;
  }

  /** True until the producer called end() or the reply was cut (a paused reply still takes audio). */
  get accepting(): boolean {
    return (this.current === 'playing' || this.current === 'paused') && !this.producerDone;
  }

  get pushedMs(): number {
    return msForSamples(this.pushedSamples);
  }

  /**
   * How much of this reply the caller has heard, whole ms (as every other time on the wire): live
   * while it plays, fixed once it is over.
   */
  get heardMs(): number {
    if (this.finalHeardMs !== null) return this.finalHeardMs;
    if (this.current === 'paused') return this.pausedAtMs;
    const played = Math.max(0, this.sink.playedMs() - this.segment.outputMs);
    const sentMs = msForSamples(this.sentSamples);
    return Math.round(this.segment.replyMs + Math.min(sentMs, played));
  }

  private pausedAtMs = 0;

  /** Adds audio at the pipeline rate. Ignored once the reply is ending or over (a late chunk of a cut reply). */
  push(pcm: Float32Array): boolean {
    if (!this.accepting || pcm.length === 0) return false;
    this.pushedSamples += pcm.length;
    this.audio.push(pcm);
    if (this.current === 'playing') {
      this.sentSamples += pcm.length;
      this.sink.write(pcm);
    }
    return true;
  }

  /**
   * Resolves when the reply can take more audio without running more than `aheadMs` ahead, or is
   * over; while paused, once it plays again (a paused producer holds its place, not its audio).
   */
  ready(aheadMs: number): Promise<void> {
    if (this.current === 'paused') {
      return new Promise<void>((resolve) => (this.wakePaused = resolve)).then(() => this.ready(aheadMs));
    }
    return this.current === 'playing' ? this.sink.room(aheadMs) : Promise.resolve();
  }

  /**
   * Stops the audio without ending the reply (a barge-in that may be a false alarm): the sink
   * drops what it holds, the producer keeps its state. Returns false when not playing.
   */
  pause(): boolean {
    if (this.current !== 'playing' && this.current !== 'ending') return false;
    this.pausedAtMs = this.heardMs;
    this.current = 'paused';
    this.sink.cut();
    this.hooks.onPaused?.(this, this.pausedAtMs);
    return true;
  }

  /**
   * Plays a paused reply again from `fromMs` of its audio (default: where the caller stopped
   * hearing it; the session passes the start of the word that was playing).
   */
  resume(fromMs = this.pausedAtMs): boolean {
    if (this.current !== 'paused') return false;
    const from = Math.max(0, Math.min(fromMs, this.pushedMs));
    this.current = 'playing';
    this.segment = { replyMs: from, outputMs: this.sink.queuedEndMs() };
    this.sentSamples = 0;
    let skip = samplesForMs(from);
    for (const chunk of this.audio) {
      if (skip >= chunk.length) {
        skip -= chunk.length;
        continue;
      }
      const part = chunk.subarray(skip);
      skip = 0;
      this.sentSamples += part.length;
      this.sink.write(part);
    }
    this.hooks.onResumed?.(this, from);
    const wake = this.wakePaused;
    this.wakePaused = null;
    wake?.();
    if (this.producerDone) this.finishSink();
    return true;
  }

  /** The producer has pushed everything: the reply is done once its last frame is sent. */
  end(): void {
    if (this.producerDone || (this.current !== 'playing' && this.current !== 'paused')) return;
    this.producerDone = true;
    if (this.current === 'playing') this.finishSink();
  }

  private finishSink(): void {
    this.current = 'ending';
    this.sink.finish(() => {
      if (this.current !== 'ending') return;
      this.current = 'done';
      this.finalHeardMs = Math.round(this.pushedMs);
      this.hooks.onDone?.(this);
      this.settle({ reason: 'done', heardMs: this.finalHeardMs, pushedMs: this.pushedMs });
    });
  }

  /**
   * Cuts the reply now: queued audio is dropped, the signal aborts, `done` settles as
   * interrupted. Returns false when there was nothing to cut (already over).
   */
  interrupt(): boolean {
    if (this.current === 'done' || this.current === 'interrupted') return false;
    const heard = this.heardMs;
    const wasPaused = this.current === 'paused';
    this.current = 'interrupted';
    this.finalHeardMs = heard;
    if (!wasPaused) this.sink.cut();
    this.abort.abort();
    const wake = this.wakePaused;
    this.wakePaused = null;
    wake?.();
    this.hooks.onInterrupted?.(this, heard);
    this.settle({ reason: 'interrupted', heardMs: heard, pushedMs: this.pushedMs });
    return true;
  }
}

/**
 * Feeds audio that exists whole (the greeting, a cached prompt) into a reply in chunks, staying
 * at most `aheadMs` ahead of the sink, and ends it. Stops early when the reply is cut.
 */
export async function playPcm(
  handle: ReplyHandle,
  audio: Float32Array,
  options: { chunkSamples: number; aheadMs: number },
): Promise<void> {
  for (let at = 0; at < audio.length && handle.accepting; at += options.chunkSamples) {
    await handle.ready(options.aheadMs);
    if (!handle.accepting) return;
    handle.push(audio.subarray(at, at + options.chunkSamples));
  }
  handle.end();
}
