/**
 * The output side of one session: the encoder for the caller's format, the paced writer, and
 * the reply on the air. Session events go out through it too, so control messages and audio
 * share the one writer of the connection (and its backpressure). One reply plays at a time.
 */
import { randomUUID } from 'node:crypto';
import type { Metrics } from '../metrics.ts';
import { AudioClock } from '../transport/audio-clock.ts';
import { OutboundWriter, type WriterTuning } from '../transport/outbound-writer.ts';
import type { OutputEncoder } from '../transport/output-encoder.ts';
import type { CallerLink, OutputClock, ReplyKind, SessionEvent } from './events.ts';
import { ReplyHandle, type ReplySink } from './reply.ts';

export interface PlayoutDeps {
  link: CallerLink;
  writer: WriterTuning;
  metrics: Metrics;
  /** The session audio clock, ms. */
  clockMs(): number;
  /** The caller stopped reading for the writer's stall timeout. */
  onStall(): void;
}

export class Playout {
  private writer: OutboundWriter;
  private encoder: OutputEncoder | null = null;
  private audioClock: AudioClock | null = null;
  private current: ReplyHandle | null = null;

  constructor(private readonly deps: PlayoutDeps) {
    this.writer = this.createWriter();
  }

  private createWriter(clock?: AudioClock): OutboundWriter {
    return new OutboundWriter(this.deps.link, this.deps.writer, clock, this.deps.onStall);
  }

  /** Sends a session event to the caller now, ahead of queued audio (dropped once closed). */
  send(event: SessionEvent): void {
    const frame = this.deps.link.encodeEvent(event);
    if (frame !== null) this.writer.sendControl(frame);
  }

  /** Starts the output in the negotiated encoding, paced by `clock`. Call once, before any reply. */
  open(encoder: OutputEncoder, clock: OutputClock): void {
    this.encoder = encoder;
    if (clock === 'audio') {
      // Nothing has been queued yet, so the writer can be swapped for one on the audio clock.
      this.audioClock = new AudioClock(this.deps.clockMs);
      this.writer = this.createWriter(this.audioClock);
    }
    this.writer.options.frameMs = encoder.frameMs;
  }

  /** One caller frame was processed: on the audio clock, that is what moves the output on. */
  tick(): void {
    this.audioClock?.tick();
  }

  /** The reply on the air, from begin() until its last frame is sent or it is cut. */
  get active(): ReplyHandle | null {
    return this.current;
  }

  /** True while the caller still has audio of ours to play (queued, or sent and not yet played by estimate). */
  get isPlaying(): boolean {
    return this.writer.isPlaying;
  }

  get outputMs(): number {
    return this.writer.outputMs;
  }

  reportPlayback(positionMs: number): void {
    this.writer.reportPlayback(positionMs);
  }

  /** A new reply, queued after whatever audio is still waiting; announced with output_start. */
  begin(kind: ReplyKind, options: { interruptible?: boolean; resumable?: boolean } = {}): ReplyHandle {
    const encoder = this.encoder;
    if (!encoder) throw new Error('playout is not open yet');
    if (this.current) throw new Error(`reply ${this.current.id} is still on the air`);
    const id = `${kind}-${randomUUID().slice(0, 8)}`;
    const startOutputMs = this.writer.outputMs + this.writer.queuedMs;
    const sink: ReplySink = {
      write: (pcm) => this.enqueue(id, encoder.encode(pcm)),
      finish: (onSent) => this.enqueue(id, encoder.flush(), onSent),
      cut: () => {
        this.writer.clear();
        encoder.reset();
      },
      playedMs: () => this.writer.estimatedPlayedMs(),
      room: (aheadMs) => this.writer.whenQueuedAtMost(aheadMs),
      queuedEndMs: () => this.writer.outputMs + this.writer.queuedMs,
    };
    const clear = (h: ReplyHandle, heardMs: number): void =>
      this.send({
        type: 'audio_clear',
        id: h.id,
        atMs: this.deps.clockMs(),
        outputMs: this.writer.outputMs,
        heardMs,
      });
    const wasPaused = new Set<ReplyHandle>();
    const handle = new ReplyHandle(
      id,
      kind,
      startOutputMs,
      sink,
      options.interruptible ?? true,
      {
        onDone: (h) => this.ended(h, 'done'),
        onInterrupted: (h, heardMs) => {
          // A paused reply's audio was cleared when it paused.
          if (!wasPaused.has(h)) clear(h, heardMs);
          this.ended(h, 'interrupted');
        },
        onPaused: (h, heardMs) => {
          wasPaused.add(h);
          clear(h, heardMs);
        },
        onResumed: (h) => wasPaused.delete(h),
      },
      options.resumable ?? false,
    );
    this.current = handle;
    this.send({ type: 'output_start', id, kind, atMs: this.deps.clockMs(), outputMs: startOutputMs });
    return handle;
  }

  /** Stops all output for good (the session is closing); a reply on the air is cut. */
  close(): void {
    this.writer.close();
    this.current?.interrupt();
  }

  destroy(): void {
    this.encoder?.destroy();
    this.encoder = null;
  }

  private enqueue(id: string, frames: Uint8Array[], onSent?: () => void): void {
    const link = this.deps.link;
    this.deps.metrics.outputFrames.inc(frames.length);
    this.writer.enqueueAudio(
      frames.map((f) => link.encodeAudio(f)),
      id,
      onSent,
    );
  }

  private ended(handle: ReplyHandle, reason: 'done' | 'interrupted'): void {
    if (this.current === handle) this.current = null;
    this.send({
      type: 'output_end',
      id: handle.id,
      reason,
      atMs: this.deps.clockMs(),
      outputMs: this.writer.outputMs,
    });
  }
}
