/**
 * The one writer of a connection. Control messages go out at once; audio
 * frames wait in a queue and are paced to real time plus a small lead, so the
 * caller never holds much unplayed audio and a barge-in can drop the rest
 * here, where it is cheap. Audio is held (never dropped) while the socket's
 * `bufferedAmount` is over its high-water mark; a socket that stays over it
 * too long is a client that does not read, and is reported as slow_consumer; so is one
 * holding more than `maxBufferedBytes` unsent when a control message is due.
 */
import { z } from 'zod';

export interface WritableSocket {
  readonly bufferedAmount: number;
  /** 1 = OPEN in the WebSocket API. */
  readonly readyState: number;
  send(data: string | Uint8Array): void;
}

/** The options an operator tunes (config.writer). */
export const WriterTuning = z.strictObject({
  /** How far ahead of real time audio may be sent, ms. Default 120: covers network jitter, yet a clear drops nearly everything. */
  leadMs: z.number().nonnegative().default(120),
  /** Audio waits while the socket holds more than this many unsent bytes. Default 256 KiB. */
  highWaterBytes: z
    .number()
    .int()
    .positive()
    .default(256 * 1024),
  /** Over the high-water mark for this long means the client is not reading, ms. Default 10000. */
  stallTimeoutMs: z.number().positive().default(10_000),
  /**
   * Unsent bytes at which even a control message is not sent: the client is closed as a slow
   * consumer at once. Control messages are never queued, so without this a client that sends bad
   * frames and never reads would grow the server without bound. Default 1 MiB.
   */
  maxBufferedBytes: z
    .number()
    .int()
    .positive()
    .default(1024 * 1024),
});
export type WriterTuning = z.infer<typeof WriterTuning>;

export interface WriterOptions extends WriterTuning {
  /** Duration of each audio frame, ms. Default 20. */
  frameMs: number;
  /** Pacing timer period, ms. Default 10. */
  tickMs: number;
}

export const defaultWriterOptions: Readonly<WriterOptions> = Object.freeze({
  ...WriterTuning.parse({}),
  frameMs: 20,
  tickMs: 10,
});

export interface WriterClock {
  now(): number;
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

export const realClock: WriterClock = {
  now: () => performance.now(),
  setInterval: (fn, ms) => setInterval(fn, ms),
  clearInterval: (h) => clearInterval(h as NodeJS.Timeout),
};

interface QueuedFrame {
  /** One audio frame as the wire carries it (binary in protocol v1; a carrier may wrap it in text). */
  data: string | Uint8Array;
  /** Utterance the frame belongs to. */
  tag: string;
  /** Called when the last frame of an utterance has been sent. */
  onSent?: () => void;
}

export class OutboundWriter {
  readonly options: WriterOptions;
  private queue: QueuedFrame[] = [];
  private timer: unknown = null;
  /** Output stream position: ms of audio sent so far. */
  private sentMs = 0;
  /** Pacing anchor: at wall time anchorWall the caller was about to play position anchorPos. */
  private anchorWall = 0;
  private anchorPos = 0;
  private stalledSince: number | null = null;
  private closed = false;
  private waiters: { ms: number; resolve: () => void }[] = [];

  constructor(
    private readonly socket: WritableSocket,
    options: Partial<WriterOptions> = {},
    private readonly clock: WriterClock = realClock,
    /** Called once when the client has not read for stallTimeoutMs. */
    private readonly onStall: () => void = () => {},
  ) {
    this.options = { ...defaultWriterOptions, ...options };
  }

  /**
   * Sends a control message now, ahead of any queued audio: a frame the gateway already encoded
   * for its wire (string or bytes), or an object sent as JSON.
   */
  sendControl(message: object | string | Uint8Array): void {
    if (this.closed || this.socket.readyState !== 1) return;
    if (this.socket.bufferedAmount > this.options.maxBufferedBytes) {
      this.close();
      this.onStall();
      return;
    }
    this.socket.send(
      typeof message === 'string' || message instanceof Uint8Array ? message : JSON.stringify(message),
    );
  }

  /**
   * Resolves once no more than `ms` of audio waits in the queue (at once if that holds now), or
   * the writer is cleared or closed: a producer awaits this to stay a bounded distance ahead.
   */
  whenQueuedAtMost(ms: number): Promise<void> {
    if (this.closed || this.queuedMs <= ms) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ ms, resolve }));
  }

  /**
   * Queues audio frames of one utterance; `onDone` fires when its last frame is on the wire.
   * With no frames, `onDone` fires once everything queued before is sent (at once when nothing is):
   * a streamed utterance whose tail added no frame still ends after its last one.
   */
  enqueueAudio(frames: (string | Uint8Array)[], tag: string, onDone?: () => void): void {
    if (this.closed) return;
    if (frames.length === 0) {
      const last = this.queue.at(-1);
      if (!last) onDone?.();
      else if (onDone) {
        const before = last.onSent;
        last.onSent = () => {
          before?.();
          onDone();
        };
      }
      return;
    }
    if (this.queue.length === 0 && this.estimatedPlayedMs() >= this.sentMs) {
      // The caller's buffer has run dry: restart the pacing from now.
      this.anchorWall = this.clock.now();
      this.anchorPos = this.sentMs;
    }
    frames.forEach((data, i) =>
      this.queue.push({ data, tag, onSent: i === frames.length - 1 ? onDone : undefined }),
    );
    this.pump();
    if (this.queue.length > 0 && this.timer === null) {
      this.timer = this.clock.setInterval(() => this.pump(), this.options.tickMs);
    }
  }

  /** Drops every queued audio frame; returns how many ms of audio were dropped. */
  clear(): number {
    const droppedMs = this.queue.length * this.options.frameMs;
    this.queue = [];
    this.stopTimer();
    this.settleWaiters();
    return droppedMs;
  }

  /** ms of audio sent so far (the output stream position). */
  get outputMs(): number {
    return this.sentMs;
  }

  get queuedMs(): number {
    return this.queue.length * this.options.frameMs;
  }

  /** Output position the caller has played by now, assuming real-time playback from the pacing anchor. */
  estimatedPlayedMs(): number {
    return Math.min(this.sentMs, this.anchorPos + Math.max(0, this.clock.now() - this.anchorWall));
  }

  /** The caller's own report of its playback position re-anchors the estimate. */
  reportPlayback(positionMs: number): void {
    const pos = Math.min(positionMs, this.sentMs);
    this.anchorPos = pos;
    this.anchorWall = this.clock.now();
  }

  /** True while audio is queued or sent but (by estimate) not yet played. */
  get isPlaying(): boolean {
    return this.queue.length > 0 || this.estimatedPlayedMs() < this.sentMs;
  }

  close(): void {
    this.closed = true;
    this.clear();
  }

  private pump(): void {
    const o = this.options;
    if (this.closed || this.socket.readyState !== 1) {
      this.clear();
      return;
    }
    const now = this.clock.now();
    if (this.socket.bufferedAmount > o.highWaterBytes) {
      this.stalledSince ??= now;
      if (now - this.stalledSince >= o.stallTimeoutMs) {
        this.close();
        this.onStall();
      }
      return;
    }
    this.stalledSince = null;
    // Send every frame whose play time is within leadMs of now.
    while (this.queue.length > 0 && this.anchorWall + (this.sentMs - this.anchorPos) - o.leadMs <= now) {
      const frame = this.queue.shift()!;
      this.socket.send(frame.data);
      this.sentMs += o.frameMs;
      frame.onSent?.();
      if (this.socket.bufferedAmount > o.highWaterBytes) break;
    }
    if (this.queue.length === 0) this.stopTimer();
    this.settleWaiters();
  }

  private settleWaiters(): void {
    if (this.waiters.length === 0) return;
    const queued = this.queuedMs;
    this.waiters = this.waiters.filter((w) => {
      if (!this.closed && queued > w.ms) return true;
      w.resolve();
      return false;
    });
  }

  private stopTimer(): void {
    if (this.timer !== null) {
      this.clock.clearInterval(this.timer);
      this.timer = null;
    }
  }
}
