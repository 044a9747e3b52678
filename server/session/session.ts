/**
 * One caller's session: typed inputs from a gateway in, session events and audio out.
 *
 * Caller audio: decoder -> 16 kHz -> the speech detector (VAD) -> speech events -> the
 * turn-taking controller, whose effects are executed in one place. The speech the VAD accepted
 * also goes to the recognizer (asr-feed.ts), whose transcripts go out as `transcript` events. Our audio: replies (the
 * greeting today) stream through the playout. Every input is handled in arrival order on the
 * input queue, so a marker is answered only after all audio before it was processed.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Recognizer, Transcript } from '../asr/recognizer.ts';
import { msForSamples, samplesForMs } from '../audio/rates.ts';
import type { ServerConfig } from '../config.ts';
import type { Metrics } from '../metrics.ts';
import { BanterError, CLOSE_CODES, ERRORS, type ErrorCode } from '../protocol/errors.ts';
import type { Grants } from '../limits/auth.ts';
import { truncate } from '../limits/limits.ts';
import type { RateLimitedLog } from '../limits/rate-limited-log.ts';
import { TokenBucket } from '../limits/token-bucket.ts';
import type { InputDecoder } from '../transport/input-decoder.ts';
import { TurnController, type TurnEvent } from '../turn-taking/controller.ts';
import type { EotDetector } from '../turn-taking/eot.ts';
import { createPolicies } from '../turn-taking/policies.ts';
import type { SileroModel } from '../turn-taking/silero.ts';
import { SpeechDetector } from '../turn-taking/speech-detector.ts';
import type { VadEvent } from '../turn-taking/vad-processor.ts';
import type { DuplexModel } from '../duplex-llm/duplex-model.ts';
import type { Synthesizer } from '../tts/synthesizer.ts';
import { AsrFeed } from './asr-feed.ts';
import { Dialogue } from './dialogue.ts';
import { REPLY_AHEAD_MS, REPLY_CHUNK_MS, STAGE_CANCEL_GRACE_MS } from './budgets.ts';
import { openCodecs, type Codecs } from './codecs.ts';
import { executeTurnEffects } from './effects.ts';
import type { CallerLink, SessionInput } from './events.ts';
import { InputQueue } from './input-queue.ts';
import { Playout } from './playout.ts';
import { FloorGate, type GateDecision } from '../speaker/floor-gate.ts';
import { Floor } from './floor.ts';
import type { SpeakerEncoder } from '../speaker/speaker-gate.ts';
import { Producers } from './producers.ts';
import { playPcm, type ReplyHandle } from './reply.ts';

/** Shared by every session of one server: models are loaded once. */
export interface SessionContext {
  config: ServerConfig;
  vadModel: SileroModel;
  /** End-of-turn detector, for the endpointing policy that arrives with streaming ASR. */
  eot: EotDetector;
  /** Streaming recognizer (config.asr); null runs the server on the VAD alone. */
  recognizer: Recognizer | null;
  /** The duplex LLM (config.llm); with a synthesizer and a recognizer, banter converses. */
  duplex: DuplexModel | null;
  /** The speech synthesizer (config.tts). */
  synthesizer: Synthesizer | null;
  /** Speaker encoder for the floor gate (config.speaker); null or absent: every voice may barge in. */
  speakerEncoder?: SpeakerEncoder | null;
  /** Greeting audio at the pipeline rate. */
  greeting: Float32Array;
  metrics: Metrics;
  log: Logger;
  /** Warn lines about bad client input, bounded for the whole process (config.limits.badInputLog). */
  badInputLog: RateLimitedLog;
}

export interface SessionPeer {
  /** Client address (the forwarded one behind a trusted proxy). */
  address: string | null;
  /** The browser's Origin header, when there is one. */
  origin: string | null;
  /** The session token's subject (null with auth off). */
  subject?: string | null;
  /** What the token allows this caller (e.g. storing a voiceprint); empty with auth off. */
  grants?: Grants;
}

type State = 'awaiting_start' | 'starting' | 'running' | 'closed';
type Start = Extract<SessionInput, { type: 'start' }>;

export class Session {
  readonly id = randomUUID();
  private state: State = 'awaiting_start';
  private readonly log: Logger;
  private readonly input: InputQueue;
  private readonly playout: Playout;
  private readonly turns: TurnController;
  private decoder: InputDecoder | null = null;
  private detector: SpeechDetector | null = null;
  private asr: AsrFeed | null = null;
  /** The conversation (LLM + TTS), when the server has all its parts. */
  private dialogue: Dialogue | null = null;
  /** Producers pushing into replies; closing waits (briefly) for them to stop. */
  private readonly producers = new Producers((err) => {
    this.log.error({ err }, 'reply producer failed');
    this.fail('internal');
  });
  private disposed = false;
  /** Bad messages this caller may still send before the connection is closed (config.limits.errorBudget). */
  private readonly errorBudget: TokenBucket;
  /** Control messages this caller may still send (config.limits.controlRate). */
  private readonly controlRate: TokenBucket;
  private handshakeTimer: NodeJS.Timeout | null;
  /** Who may take the floor (config.speaker.mode 'verify'); null: every voice the VAD hears. */
  private gate: FloorGate | null = null;
  /** Who holds the floor: what of the VAD's speech reaches the dialogue and may barge in. */
  private floor: Floor | null = null;
  /** An explicit enrollment recording in progress (session.start `enroll_ms`): until when, then the greeting? */
  private enrollment: { untilMs: number; greeting: boolean } | null = null;
  /** Wall-clock ms of the caller's last frame of any kind (config.limits.idleTimeoutMs). */
  private lastHeardAt = Date.now();
  private idleTimer: NodeJS.Timeout | null = null;
  /** What this caller's token allows (the personalized VAD reads `voiceprint`). */
  readonly grants: Grants;

  private readonly endedSignal: Promise<void>;
  private resolveEnded!: () => void;

  constructor(
    private readonly link: CallerLink,
    private readonly ctx: SessionContext,
    /** Who is calling, for the session-opened log line (the gateway knows; a test may not). */
    peer: SessionPeer = { address: null, origin: null },
  ) {
    this.log = ctx.log.child({ session: this.id });
    this.endedSignal = new Promise((resolve) => (this.resolveEnded = resolve));
    this.errorBudget = new TokenBucket(ctx.config.limits.errorBudget);
    this.controlRate = new TokenBucket(ctx.config.limits.controlRate);
    this.handshakeTimer = null;
    this.armHandshakeTimer();
    this.armIdleTimer();
    this.input = new InputQueue({
      maxBacklogMs: ctx.config.maxInputBacklogMs,
      pause: () => link.pause(),
      resume: () => link.resume(),
      onError: (err) => {
        this.log.error({ err }, 'session task failed');
        this.fail('internal');
      },
    });
    this.playout = new Playout({
      link,
      writer: ctx.config.writer,
      metrics: ctx.metrics,
      clockMs: () => this.clockMs,
      onStall: () => this.fail('slow_consumer'),
    });
    this.turns = new TurnController(createPolicies(ctx.config.turnTaking));
    ctx.metrics.sessionsActive.inc();
    ctx.metrics.sessionsTotal.inc();
    this.log.info(
      { address: peer.address, origin: peer.origin, subject: peer.subject ?? null },
      'session opened',
    );
    this.grants = peer.grants ?? {};
  }

  /** True once a handshake was accepted (the server counts these as sessions, the rest as connections). */
  get started(): boolean {
    return this.state === 'starting' || this.state === 'running';
  }

  /**
   * The server is draining: tell the caller it has `deadlineMs` left. The session goes on (a reply
   * in progress may finish) until it ends by itself or the server calls goAway().
   */
  notifyShutdown(deadlineMs: number): void {
    if (this.state === 'closed') return;
    const spec = ERRORS.shutting_down;
    this.log.info({ deadline_ms: deadlineMs }, 'session told of shutdown');
    this.playout.send({
      type: 'error',
      code: 'shutting_down',
      message: spec.text,
      fatal: spec.fatal,
      deadlineMs: Math.round(deadlineMs),
    });
  }

  /** The drain deadline has passed: close now (1001); audio already accepted is still processed. */
  goAway(): void {
    this.close(CLOSE_CODES.goingAway, 'shutting_down');
  }

  /** Session audio clock: ms of caller audio through the VAD. */
  get clockMs(): number {
    return this.detector?.clockMs ?? 0;
  }

  /**
   * Takes one input from the gateway. Never throws: problems are reported to the caller, and a
   * bug while handling one input ends this session with `internal`, never the process.
   */
  handle(input: SessionInput): void {
    try {
      this.route(input);
    } catch (err) {
      this.onFault(err);
    }
  }

  private route(input: SessionInput): void {
    if (this.state === 'closed') return;
    if (input.type !== 'hangup' && input.type !== 'fault') this.lastHeardAt = Date.now();
    // Every text frame from the caller counts (audio is bounded by the input backlog instead).
    const fromCaller = input.type !== 'audio' && input.type !== 'hangup' && input.type !== 'fault';
    if (fromCaller && !this.controlRate.take()) return this.report('rate_limited');
    switch (input.type) {
      case 'start':
        return this.start(input);
      case 'audio':
        return this.onAudio(input.data);
      case 'playback':
        if (this.state === 'awaiting_start')
          return this.report('not_started', 'playback before session.start');
        if (this.state === 'running') this.playout.reportPlayback(input.positionMs);
        return;
      case 'marker':
        if (this.state === 'awaiting_start') return this.report('not_started', 'marker before session.start');
        return this.input.enqueue(() =>
          this.playout.send({ type: 'marker', id: input.id, atMs: this.clockMs }),
        );
      case 'end':
        return this.input.enqueue(async () => {
          await this.flushSpeech();
          this.close(CLOSE_CODES.normal, 'session ended');
        });
      case 'hangup':
        return this.hangup();
      case 'start_refused':
        // A second handshake is answered as one, whatever its version (as before the gateway split).
        return this.state === 'awaiting_start'
          ? this.report(input.code, input.message)
          : this.report('already_started');
      case 'rejected':
        return this.report(input.code, input.message);
      case 'fault':
        return this.onFault(input.error);
    }
  }

  private armHandshakeTimer(): void {
    if (this.state !== 'awaiting_start' || this.handshakeTimer) return;
    this.handshakeTimer = setTimeout(() => {
      if (this.state === 'awaiting_start') this.fail('handshake_timeout');
    }, this.ctx.config.limits.handshakeTimeoutMs).unref();
  }

  private clearHandshakeTimer(): void {
    if (this.handshakeTimer) clearTimeout(this.handshakeTimer);
    this.handshakeTimer = null;
  }

  /**
   * Closes a connection the caller has sent nothing on (no audio, no control) for
   * limits.idleTimeoutMs: a client that answers pings but never speaks would hold a session
   * slot for ever. One timer per session, re-armed for the remainder rather than per frame.
   */
  private armIdleTimer(): void {
    const limitMs = this.ctx.config.limits.idleTimeoutMs;
    if (limitMs <= 0) return;
    const check = () => {
      if (this.state === 'closed') return;
      const quietMs = Date.now() - this.lastHeardAt;
      if (quietMs >= limitMs) return this.fail('idle_timeout');
      this.idleTimer = setTimeout(check, limitMs - quietMs).unref();
    };
    this.idleTimer = setTimeout(check, limitMs).unref();
  }

  private clearTimers(): void {
    this.clearHandshakeTimer();
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
  }

  private onFault(err: unknown): void {
    this.log.error({ err }, 'session handler failed');
    this.fail('internal');
  }

  /** Resolves once the session is over and its state released. */
  ended(): Promise<void> {
    return this.endedSignal;
  }

  /** Resolves once every accepted input has been processed. */
  drained(): Promise<void> {
    return this.input.drained();
  }

  private start(msg: Start): void {
    if (this.state !== 'awaiting_start') {
      this.report('already_started');
      return;
    }
    this.state = 'starting';
    this.clearHandshakeTimer();
    this.input.enqueue(async () => {
      let codecs: Codecs;
      try {
        codecs = await openCodecs(msg.input, msg.output, { maxFrameMs: this.ctx.config.maxFrameMs });
      } catch (err) {
        if (!(err instanceof BanterError)) throw err;
        if (this.state === 'starting') this.state = 'awaiting_start';
        this.report(err.code, err.message);
        this.armHandshakeTimer();
        return;
      }
      const { decoder, encoder } = codecs;
      this.decoder = decoder;
      try {
        this.detector = new SpeechDetector(this.ctx.vadModel.createStream(), this.ctx.config.vad, (s) =>
          this.ctx.metrics.vadFrameSeconds.observe(s),
        );
      } catch (err) {
        encoder.destroy(); // the decoder is the session's now: dispose() releases it
        throw err;
      }
      const speakerEncoder = this.ctx.speakerEncoder;
      if (speakerEncoder && this.ctx.config.speaker.mode !== 'off') {
        this.gate = new FloorGate(
          speakerEncoder,
          this.ctx.config.speaker,
          (d) => this.onGateDecision(d),
          (err) => this.log.warn({ err }, 'speaker gate could not score speech'),
        );
      }
      this.floor = new Floor(this.gate !== null, {
        speechStarted: () => this.dialogue?.speechStarted(),
        speechEnded: () => this.dialogue?.speechEnded(),
        primary: (startMs, score) =>
          this.dispatch({ type: 'primary_speech', startMs, outputPlaying: this.playout.isPlaying, score }),
      });
      const recognizer = this.ctx.recognizer;
      if (recognizer) {
        const stream = recognizer.createStream((t) => this.onTranscript(t));
        this.asr = new AsrFeed(stream, this.ctx.config.asr.feed);
      }
      this.dialogue = this.createDialogue();
      if (this.state === 'closed') {
        // The caller left during the handshake: nothing goes out, but the audio it sent is still heard.
        encoder.destroy();
        return;
      }
      this.state = 'running';
      this.playout.open(encoder, msg.clock);
      this.playout.send({
        type: 'ready',
        sessionId: this.id,
        input: msg.input,
        output: { encoding: encoder.encoding, sampleRate: encoder.sampleRate, frameMs: encoder.frameMs },
        vad: this.ctx.vadModel.label,
        asr: this.ctx.recognizer?.label ?? null,
        clock: msg.clock,
        atMs: this.clockMs,
      });
      this.log.info({ input: msg.input, output: msg.output }, 'session started');
      const greet = msg.greeting && this.ctx.greeting.length > 0;
      // An enrollment recording comes first; the greeting waits for the voiceprint.
      if (this.gate && msg.enrollMs)
        this.enrollment = { untilMs: this.clockMs + msg.enrollMs, greeting: greet };
      else if (greet) this.playGreeting();
    });
  }

  private onAudio(data: Uint8Array): void {
    // The handshake is still being set up (codecs load asynchronously): take the audio, in order, once it is.
    if (this.state === 'starting') this.input.enqueue(() => this.acceptAudio(data, true));
    else this.acceptAudio(data, false).catch((err: unknown) => this.onFault(err));
  }

  /** `onChain`: already running on the input queue, so process now rather than queue behind later inputs. */
  private async acceptAudio(data: Uint8Array, onChain: boolean): Promise<void> {
    if (!this.decoder || (this.state !== 'running' && !onChain)) {
      this.report('not_started', 'binary audio before session.start; dropped');
      return;
    }
    let samples: Float32Array;
    try {
      samples = this.decoder.decode(data);
    } catch (err) {
      // Handshake audio of a caller that already left is still heard, but nobody is there to tell.
      if (this.state === 'closed') return;
      if (err instanceof BanterError) this.report(err.code, err.message);
      else this.report('bad_audio', String(err));
      return;
    }
    if (onChain) await this.processAudio(samples);
    else this.input.enqueueAudio(msForSamples(samples.length), () => this.processAudio(samples));
  }

  private async processAudio(samples: Float32Array): Promise<void> {
    if (this.enrollment) return this.enrollFrom(samples);
    await this.detector?.push(samples, (events, frame) => {
      this.ctx.metrics.framesProcessed.inc();
      this.asr?.frame(frame, this.clockMs - msForSamples(frame.length), events);
      this.onSpeech(events);
      this.gate?.frame(frame, events, this.clockMs, this.playout.isPlaying);
      this.playout.tick();
      for (const name of this.turns.dueTimers(this.clockMs)) this.dispatch({ type: 'timer', name });
      this.dialogue?.tick();
    });
    // The gate's scores of this audio land before the next audio is processed: decisions keep their order.
    await this.gate?.idle();
    await this.asrIdle();
  }

  /**
   * Audio of the enrollment recording: it goes to the gate only (no turn, no barge-in, no
   * transcript). Once `enroll_ms` of it has been heard the voiceprint is made and the greeting plays.
   */
  private async enrollFrom(samples: Float32Array): Promise<void> {
    const e = this.enrollment!;
    await this.detector?.push(samples, (events, frame) => {
      this.ctx.metrics.framesProcessed.inc();
      this.gate?.enrollFrame(frame, events);
    });
    if (this.clockMs < e.untilMs) return;
    this.enrollment = null;
    this.detector?.flush(); // speech still open in the recording is not the caller's first turn
    if (!(await this.gate!.finishEnrollment(this.clockMs))) this.report('enrollment_failed');
    if (e.greeting && this.state === 'running') this.playGreeting();
  }

  /** Waits for the recognizer to catch up; a failing one is reported once and dropped, the session goes on. */
  private async asrIdle(): Promise<void> {
    try {
      await this.asr?.idle();
    } catch (err) {
      this.log.error({ err }, 'recognizer failed');
      this.asr = null;
      this.fail('asr_failed');
    }
  }

  /** The one place transcripts go: to the caller, and to the controller (endpointing reads them there). */
  private onTranscript(t: Transcript): void {
    this.ctx.metrics.transcripts.inc({ kind: t.kind });
    this.playout.send({ type: 'transcript', transcript: t });
    const text = [t.stable, t.unstable].filter(Boolean).join(' ');
    // Another voice's words (the gate said so) are shown to the client, never given to the dialogue.
    if (this.floor?.fromOtherVoice(t)) return;
    this.dispatch({ type: 'transcript', kind: t.kind, text, endMs: t.endMs });
    this.dialogue?.transcript(t);
  }

  private onSpeech(events: VadEvent[]): void {
    for (const e of events) {
      if (e.type === 'speech_start') {
        this.playout.send({ type: 'speech_start', atMs: e.startMs });
        this.dispatch({ type: 'speech_start', startMs: e.startMs, outputPlaying: this.playout.isPlaying });
      } else {
        this.playout.send({ type: 'speech_end', atMs: e.endMs, startMs: e.startMs });
        this.dispatch({ type: 'speech_end', startMs: e.startMs, endMs: e.endMs });
      }
      this.floor?.vad(e, this.playout.isPlaying);
    }
  }

  /** The floor gate judged a stretch of speech, or made a voiceprint. */
  private onGateDecision(d: GateDecision): void {
    if (this.state === 'closed') return;
    if (d.type === 'enrolled') {
      this.playout.send({ type: 'speaker', event: 'enrolled', atMs: d.atMs, speechMs: d.speechMs });
      return;
    }
    // 'primary' with a null score is every stretch before enrollment: the VAD events say it already.
    if (d.score !== null) {
      this.playout.send({ type: 'speaker', event: d.type, atMs: d.atMs, startMs: d.startMs, score: d.score });
    }
    this.floor?.decided(d);
  }

  /** Closes open speech (the stream is over) and waits for its final transcript. */
  private async flushSpeech(): Promise<void> {
    const events = this.detector?.flush() ?? [];
    this.asr?.flush(events);
    this.onSpeech(events);
    this.gate?.flush(events, this.clockMs);
    await this.gate?.idle();
    await this.asrIdle();
  }

  /** Runs the controller on one event and carries out what it decided. */
  private dispatch(event: TurnEvent): void {
    executeTurnEffects(this.turns.dispatch(event, this.clockMs), {
      interrupt: (replyId) => {
        const reply = this.playout.active;
        if (reply?.id === replyId && reply.interrupt()) this.ctx.metrics.bargeIns.inc();
      },
      pause: (replyId) => {
        const reply = this.playout.active;
        if (reply?.id !== replyId || !reply.pause()) return;
        this.ctx.metrics.bargeIns.inc();
        this.dialogue?.bargedIn(reply);
      },
    });
  }

  /** The conversation runs when the server has a duplex model, a synthesizer and a recognizer. */
  private createDialogue(): Dialogue | null {
    const { duplex, synthesizer, eot } = this.ctx;
    if (!duplex || !synthesizer || !this.asr) return null;
    const tt = this.ctx.config.turnTaking;
    return new Dialogue(
      duplex.createConversation(),
      synthesizer,
      {
        sliceMs: duplex.sliceMs,
        endOfTurn: tt.endOfTurn,
        aheadMs: REPLY_AHEAD_MS,
        finalWaitMs: tt.finalWaitMs,
        answerByMs: tt.answerByMs,
      },
      {
        clockMs: () => this.clockMs,
        beginReply: () => {
          // The caller's answer comes before the rest of the greeting.
          this.playout.active?.interrupt();
          const reply = this.playout.begin('reply', { resumable: true });
          this.follow(reply);
          return reply;
        },
        emit: (event) => this.playout.send(event),
        report: (code, message) => this.fail(code, message),
        warn: (message, err) => this.log.warn({ err }, message),
        resumed: (reply) => this.dispatch({ type: 'reply_resumed', id: reply.id }),
        track: (task) => this.producers.add(task),
        endOfTurn: (text, context) => eot.predict(text, context),
        hasRecognizer: true,
      },
    );
  }

  private playGreeting(): void {
    const reply = this.playout.begin('greeting');
    this.follow(reply);
    this.producers.add(
      playPcm(reply, this.ctx.greeting, {
        chunkSamples: samplesForMs(REPLY_CHUNK_MS),
        aheadMs: REPLY_AHEAD_MS,
      }),
    );
  }

  /** Keeps the controller told of a reply's start and end. */
  private follow(reply: ReplyHandle): void {
    this.dispatch({
      type: 'reply_start',
      id: reply.id,
      interruptible: reply.interruptible,
      resumable: reply.resumable,
    });
    void reply.done.then((outcome) =>
      this.dispatch({ type: 'reply_end', id: reply.id, reason: outcome.reason }),
    );
  }

  /** The connection is gone: finish what was accepted, then release per-session state. */
  private hangup(): void {
    this.state = 'closed';
    this.clearTimers();
    this.dialogue?.close();
    this.playout.close();
    this.input.enqueue(() => this.flushSpeech());
    void this.input.drained().then(() => this.dispose());
  }

  /**
   * A recoverable (or, for fatal codes, closing) error reported to the caller. Errors the client
   * caused draw on its error budget; once that is spent the connection closes with too_many_errors.
   */
  private report(code: ErrorCode, message?: string): void {
    const spec = ERRORS[code];
    const byClient = 'client' in spec;
    if (byClient && !this.errorBudget.take()) return this.report('too_many_errors');
    this.ctx.metrics.errors.inc({ code });
    if (byClient) this.ctx.badInputLog.warn(this.log, { code }, 'bad client input');
    else this.log.warn({ code }, 'session error');
    const text = message === undefined ? spec.text : truncate(message);
    this.playout.send({ type: 'error', code, message: text, fatal: spec.fatal });
    if ('closeCode' in spec) this.close(spec.closeCode, code);
  }

  private fail(code: ErrorCode, message?: string): void {
    if (this.state !== 'closed') this.report(code, message);
  }

  private close(code: number, reason: string): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.clearTimers();
    this.dialogue?.close();
    this.playout.close();
    this.link.close(code, reason);
    void this.input.drained().then(() => this.dispose());
  }

  private async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    // Producers saw their reply cut (playout.close); give them a moment to leave before their encoder goes.
    await this.producers.settle(STAGE_CANCEL_GRACE_MS);
    this.decoder?.destroy();
    // Also here: a caller who left during the handshake hung up before the dialogue existed.
    this.dialogue?.close();
    this.asr?.close();
    this.playout.destroy();
    this.ctx.metrics.sessionsActive.dec();
    this.log.info({ audio_ms: this.clockMs }, 'session closed');
    this.resolveEnded();
  }
}
