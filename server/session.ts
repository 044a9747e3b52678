/**
 * One caller's session: handshake, caller audio through decoder -> 16 kHz
 * frames -> Silero -> VAD events, the greeting on the way out, and barge-in.
 *
 * Everything a caller sends is handled in arrival order on one serial task
 * chain, so a `marker` is echoed only after all audio before it has been
 * through the VAD (the flush barrier). Control replies bypass the audio queue.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { ServerConfig } from './config.ts';
import type { Metrics } from './metrics.ts';
import { BanterError, ERRORS, type ErrorCode } from './protocol/errors.ts';
import {
  CLIENT_MESSAGE_TYPES,
  ClientMessage,
  PROTOCOL_VERSION,
  type ServerMessage,
  type SessionStart,
} from './protocol/messages.ts';
import { Framer } from './audio/framer.ts';
import { PIPELINE_SAMPLE_RATE } from './audio/rates.ts';
import { createInputDecoder, type InputDecoder } from './transport/input-decoder.ts';
import { OutboundWriter, type WritableSocket, type WriterClock } from './transport/outbound-writer.ts';
import { createOutputEncoder, type OutputEncoder } from './transport/output-encoder.ts';
import type { EotDetector } from './turn-taking/eot.ts';
import { SILERO_FRAME_SAMPLES, type SileroModel, type SileroStream } from './turn-taking/silero.ts';
import { VadFrameProcessor, type VadEvent } from './turn-taking/vad-processor.ts';

/** What a session needs from its WebSocket. */
export interface Connection extends WritableSocket {
  close(code: number, reason: string): void;
  /** Stop reading from the socket (input backpressure). */
  pause(): void;
  resume(): void;
}

/** Shared by every session of one server: models are loaded once. */
export interface SessionContext {
  config: ServerConfig;
  vadModel: SileroModel;
  /** End-of-turn detector, for the turn-taking controller that arrives with streaming ASR. */
  eot: EotDetector;
  /** Greeting audio at PIPELINE_SAMPLE_RATE. */
  greeting: Float32Array;
  metrics: Metrics;
  log: Logger;
}

type State = 'awaiting_start' | 'running' | 'closed';

interface ActiveOutput {
  id: string;
  kind: 'greeting' | 'reply';
  /** Output stream position of its first sample. */
  startOutputMs: number;
}

export class Session {
  readonly id = randomUUID();
  private state: State = 'awaiting_start';
  private readonly log: Logger;
  private decoder: InputDecoder | null = null;
  private encoder: OutputEncoder | null = null;
  private vadStream: SileroStream | null = null;
  private readonly vad: VadFrameProcessor;
  private readonly framer = new Framer(SILERO_FRAME_SAMPLES);
  private writer: OutboundWriter;
  /** Set in 'audio' clock mode: output is paced by caller audio processed, not by the wall clock. */
  private audioClock: AudioClock | null = null;
  private output: ActiveOutput | null = null;
  /** Serial chain of caller input; each link handles one message. */
  private chain: Promise<void> = Promise.resolve();
  /** Caller audio accepted but not yet through the VAD, ms. */
  private backlogMs = 0;
  private paused = false;
  private starting = false;

  constructor(
    private readonly conn: Connection,
    private readonly ctx: SessionContext,
  ) {
    this.log = ctx.log.child({ session: this.id });
    const { vad } = ctx.config;
    this.vad = new VadFrameProcessor({
      ...vad,
      frameMs: (SILERO_FRAME_SAMPLES * 1000) / PIPELINE_SAMPLE_RATE,
    });
    this.writer = this.createWriter();
    ctx.metrics.sessionsActive.inc();
    ctx.metrics.sessionsTotal.inc();
    this.log.info('session opened');
  }

  private createWriter(clock?: WriterClock): OutboundWriter {
    return new OutboundWriter(this.conn, this.ctx.config.writer, clock, () => this.fail('slow_consumer'));
  }

  /** Session audio clock: ms of caller audio through the VAD. */
  get clockMs(): number {
    return this.vad.clockMs;
  }

  onText(text: string): void {
    if (this.state === 'closed') return;
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      this.report('bad_json');
      return;
    }
    const type = (json as { type?: unknown } | null)?.type;
    const parsed = ClientMessage.safeParse(json);
    if (!parsed.success) {
      const known = (CLIENT_MESSAGE_TYPES as readonly unknown[]).includes(type);
      if (known)
        this.report('invalid_message', `${String(type)}: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
      else this.report('unknown_type', `unknown message type ${JSON.stringify(type)}; ignored`);
      return;
    }
    const msg = parsed.data;
    switch (msg.type) {
      case 'session.start':
        this.start(msg);
        return;
      case 'playback':
        if (this.state === 'running') this.writer.reportPlayback(msg.position_ms);
        return;
      case 'marker':
        this.enqueue(async () => this.send({ type: 'marker', id: msg.id, t_ms: this.clockMs }));
        return;
      case 'session.end':
        this.enqueue(async () => {
          this.handleVadEvents(this.vad.flush());
          this.close(1000, 'session ended');
        });
        return;
    }
  }

  onBinary(data: Uint8Array): void {
    if (this.state === 'closed') return;
    if (this.state === 'awaiting_start' && this.starting) {
      // The handshake is still being set up (decoders load asynchronously): take the audio once it is.
      this.enqueue(async () => this.onBinary(data));
      return;
    }
    if (this.state !== 'running' || !this.decoder) {
      this.report('not_started', 'binary audio before session.start; dropped');
      return;
    }
    let samples: Float32Array;
    try {
      samples = this.decoder.decode(data);
    } catch (err) {
      if (err instanceof BanterError) this.report(err.code, err.message);
      else this.report('bad_audio', String(err));
      return;
    }
    const ms = (samples.length * 1000) / PIPELINE_SAMPLE_RATE;
    this.backlogMs += ms;
    if (!this.paused && this.backlogMs > this.ctx.config.maxInputBacklogMs) {
      this.paused = true;
      this.conn.pause();
    }
    this.enqueue(async () => {
      await this.processAudio(samples);
      this.backlogMs -= ms;
      if (this.paused && this.backlogMs < this.ctx.config.maxInputBacklogMs / 2) {
        this.paused = false;
        this.conn.resume();
      }
    });
  }

  /** The socket went away: finish what was accepted, then release per-session state. */
  onClose(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.writer.close();
    this.enqueue(async () => {
      this.handleVadEvents(this.vad.flush());
    });
    void this.chain.then(() => this.dispose());
  }

  /** Resolves once every accepted message has been processed. */
  drained(): Promise<void> {
    return this.chain;
  }

  private start(msg: SessionStart): void {
    if (this.state !== 'awaiting_start' || this.starting) {
      this.report('already_started');
      return;
    }
    if (msg.protocol !== PROTOCOL_VERSION) {
      this.fail(
        'unsupported_protocol',
        `protocol ${msg.protocol} requested; this server speaks ${PROTOCOL_VERSION}`,
      );
      return;
    }
    this.starting = true;
    this.enqueue(async () => {
      try {
        this.decoder = await createInputDecoder(msg.input, { maxFrameMs: this.ctx.config.maxFrameMs });
        this.encoder = await createOutputEncoder(msg.output ?? { encoding: 'pcm16' }, PIPELINE_SAMPLE_RATE);
      } catch (err) {
        this.decoder?.destroy();
        this.decoder = null;
        this.starting = false;
        if (err instanceof BanterError) this.report(err.code, err.message);
        else throw err;
        return;
      }
      if (this.state === 'closed') return;
      this.vadStream = this.ctx.vadModel.createStream();
      this.state = 'running';
      const clock = msg.clock ?? 'realtime';
      if (clock === 'audio') {
        // Nothing has been queued yet, so the writer can be swapped for one on the audio clock.
        this.audioClock = new AudioClock(() => this.clockMs);
        this.writer = this.createWriter(this.audioClock);
      }
      this.writer.options.frameMs = this.encoder.frameMs;
      this.send({
        type: 'session.ready',
        protocol: PROTOCOL_VERSION,
        session_id: this.id,
        input: msg.input,
        output: {
          encoding: this.encoder.encoding,
          sample_rate: this.encoder.sampleRate,
          frame_ms: this.encoder.frameMs,
        },
        vad: this.ctx.vadModel.label,
        clock,
        t_ms: this.clockMs,
      });
      this.log.info({ input: msg.input, output: msg.output }, 'session started');
      if (msg.greeting !== false && this.ctx.greeting.length > 0) this.play('greeting', this.ctx.greeting);
    });
  }

  private async processAudio(samples: Float32Array): Promise<void> {
    const stream = this.vadStream;
    if (!stream) return;
    for (const frame of this.framer.push(samples)) {
      const t0 = performance.now();
      const p = await stream.process(frame);
      this.ctx.metrics.vadFrameSeconds.observe((performance.now() - t0) / 1000);
      this.ctx.metrics.framesProcessed.inc();
      this.handleVadEvents(this.vad.process(p, frame));
      this.audioClock?.tick();
    }
  }

  private handleVadEvents(events: VadEvent[]): void {
    for (const e of events) {
      if (e.type === 'speech_start') {
        this.send({ type: 'vad.speech_start', t_ms: e.startMs });
        if (this.output && this.writer.isPlaying) this.bargeIn();
      } else {
        this.send({ type: 'vad.speech_end', t_ms: e.endMs, start_ms: e.startMs });
      }
    }
  }

  /** Caller speech over our output: drop the rest, tell the caller to drop what it holds. */
  private bargeIn(): void {
    const output = this.output!;
    const heardMs = Math.max(0, this.writer.estimatedPlayedMs() - output.startOutputMs);
    this.writer.clear();
    this.encoder?.reset();
    this.output = null;
    this.ctx.metrics.bargeIns.inc();
    this.send({
      type: 'audio.clear',
      id: output.id,
      t_ms: this.clockMs,
      output_ms: this.writer.outputMs,
      heard_ms: heardMs,
    });
    this.send({
      type: 'output.end',
      id: output.id,
      reason: 'interrupted',
      t_ms: this.clockMs,
      output_ms: this.writer.outputMs,
    });
  }

  private play(kind: 'greeting' | 'reply', audio: Float32Array): void {
    const encoder = this.encoder!;
    const id = `${kind}-${randomUUID().slice(0, 8)}`;
    const output: ActiveOutput = { id, kind, startOutputMs: this.writer.outputMs + this.writer.queuedMs };
    this.output = output;
    this.send({ type: 'output.start', id, kind, t_ms: this.clockMs, output_ms: output.startOutputMs });
    const frames = [...encoder.encode(audio), ...encoder.flush()];
    this.ctx.metrics.outputFrames.inc(frames.length);
    this.writer.enqueueAudio(frames, id, () => {
      if (this.output !== output) return;
      this.output = null;
      this.send({
        type: 'output.end',
        id,
        reason: 'done',
        t_ms: this.clockMs,
        output_ms: this.writer.outputMs,
      });
    });
  }

  private enqueue(task: () => Promise<void>): void {
    this.chain = this.chain.then(task).catch((err: unknown) => {
      this.log.error({ err }, 'session task failed');
      this.fail('internal');
    });
  }

  private send(message: ServerMessage): void {
    if (this.state === 'closed') return;
    this.writer.sendControl(message);
  }

  /** A recoverable (or, for fatal codes, closing) error reported to the caller. */
  private report(code: ErrorCode, message?: string): void {
    const spec = ERRORS[code];
    this.ctx.metrics.errors.inc({ code });
    this.log.warn({ code }, 'session error');
    this.writer.sendControl({ type: 'error', code, message: message ?? spec.text, fatal: spec.fatal });
    if ('closeCode' in spec) this.close(spec.closeCode, code);
  }

  private fail(code: ErrorCode, message?: string): void {
    if (this.state === 'closed') return;
    this.report(code, message);
  }

  private close(code: number, reason: string): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.writer.close();
    this.conn.close(code, reason);
    void this.chain.then(() => this.dispose());
  }

  private disposed = false;
  private dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.decoder?.destroy();
    this.encoder?.destroy();
    this.ctx.metrics.sessionsActive.dec();
    this.log.info({ audio_ms: this.clockMs }, 'session closed');
  }
}

/** A writer clock that advances with the caller's audio: each processed frame is a tick. */
class AudioClock implements WriterClock {
  private readonly callbacks = new Map<number, () => void>();
  private nextId = 1;

  constructor(readonly now: () => number) {}

  setInterval(fn: () => void): unknown {
    this.callbacks.set(this.nextId, fn);
    return this.nextId++;
  }

  clearInterval(handle: unknown): void {
    this.callbacks.delete(handle as number);
  }

  tick(): void {
    for (const fn of [...this.callbacks.values()]) fn();
  }
}
