/**
 * One conversation with the banter server from the browser:
 * microphone -> capture worklet -> WebSocket, and
 * WebSocket -> playback worklet -> speakers.
 * Every server message is validated against the shared protocol schemas;
 * `debug` mirrors what happened so a page (or a browser test) can read it.
 */
import { PROTOCOL_VERSION, ServerMessage, type ClientMessage } from '../../server/protocol/messages.ts';
import { CAPTURE_FRAME_MS, contextRateFor, pcm16DurationMs } from './audio-format.ts';
import type { CaptureFrame, CaptureOptions, PlaybackCommand, PlaybackReport } from './worklet-messages.ts';

export type ClientState = 'idle' | 'starting' | 'running' | 'stopping' | 'closed';
export type LogKind = 'info' | 'speech' | 'output' | 'barge-in' | 'error';

export interface LogLine {
  /** ms since Start. */
  atMs: number;
  kind: LogKind;
  text: string;
}

export interface ClearRecord {
  message: Extract<ServerMessage, { type: 'audio.clear' }>;
  /** Output axis ms received when the clear arrived. */
  receivedMs: number;
  /** Where playback stopped and what was dropped (filled in when the worklet confirms). */
  positionMs: number | null;
  framesDropped: number | null;
  droppedMs: number | null;
}

/** Plain data (JSON-serialisable), exposed as `window.banter`. */
export interface DebugState {
  state: ClientState;
  sessionId: string | null;
  /** Hz the AudioContext runs at. */
  contextRate: number | null;
  /** Hz of the PCM16 audio on the wire, both ways. */
  wireRate: number | null;
  /** Every valid server message in arrival order, with ms since Start. */
  events: { atMs: number; message: ServerMessage }[];
  /** Server text messages that failed ServerMessage.safeParse (ignored). */
  invalidMessages: number;
  micFramesSent: number;
  framesReceived: number;
  /** Output stream axis: ms of server audio received so far. */
  receivedMs: number;
  framesPlayed: number;
  framesDropped: number;
  droppedMs: number;
  /** Latest playback position from the worklet, ms on the output axis. */
  positionMs: number;
  playing: boolean;
  /** Every position_ms sent in a `playback` message. */
  reports: number[];
  clears: ClearRecord[];
  /** What the server heard the caller say: the latest partial, or the last final. */
  heard: string;
  closeCode: number | null;
}

export interface VoiceClientOptions {
  /** WebSocket URL of the stream endpoint, e.g. ws://host/v1/stream. */
  url: string;
  /** Forces the AudioContext rate, Hz; default: the device's own. */
  contextRate?: number;
  /** Ask the server for its greeting. */
  greeting: boolean;
  /** Session token (JWT), sent as the `banter.token.<jwt>` subprotocol: browsers cannot set headers. */
  token?: string;
}

/** Close the socket ourselves if the server has not after `session.end`, ms. */
const STOP_TIMEOUT_MS = 2000;

const initialDebug = (): DebugState => ({
  state: 'idle',
  sessionId: null,
  contextRate: null,
  wireRate: null,
  events: [],
  invalidMessages: 0,
  micFramesSent: 0,
  framesReceived: 0,
  receivedMs: 0,
  framesPlayed: 0,
  framesDropped: 0,
  droppedMs: 0,
  positionMs: 0,
  playing: false,
  reports: [],
  clears: [],
  heard: '',
  closeCode: null,
});

export class VoiceClient {
  readonly debug: DebugState = initialDebug();
  private ctx: AudioContext | null = null;
  private mic: MediaStream | null = null;
  private capture: AudioWorkletNode | null = null;
  private playback: AudioWorkletNode | null = null;
  private ws: WebSocket | null = null;
  /** session.ready seen: audio may flow. */
  private ready = false;
  private startedAt = performance.now();

  constructor(
    private readonly options: VoiceClientOptions,
    private readonly onLog: (line: LogLine) => void,
    private readonly onChange: () => void,
  ) {}

  async start(): Promise<void> {
    if (this.debug.state !== 'idle' && this.debug.state !== 'closed') return;
    Object.assign(this.debug, initialDebug());
    this.startedAt = performance.now();
    this.setState('starting');
    try {
      const rate = await this.openAudio();
      // Stop may have been pressed while the microphone was opening (TypeScript cannot see that across the await).
      if ((this.debug.state as ClientState) !== 'starting') {
        await this.closeAudio();
        this.setState('closed');
        return;
      }
      this.connect(rate);
    } catch (err) {
      this.log('error', `could not start: ${err instanceof Error ? err.message : String(err)}`);
      await this.closeAudio();
      this.setState('closed');
    }
  }

  /** Ends the session politely: the server flushes its VAD and closes. */
  async stop(): Promise<void> {
    if (this.debug.state !== 'starting' && this.debug.state !== 'running') return;
    this.setState('stopping');
    const ws = this.ws;
    if (!ws) return; // Still opening the microphone: start() sees 'stopping' and cleans up.
    if (ws.readyState === WebSocket.OPEN && this.ready) {
      this.send({ type: 'session.end' });
      setTimeout(() => ws.close(1000), STOP_TIMEOUT_MS);
    } else {
      ws.close(1000);
    }
    await this.closeAudio();
  }

  /** Sets up mic capture and playback; returns the wire rate. */
  private async openAudio(): Promise<number> {
    if (!window.isSecureContext)
      throw new Error('the microphone needs a secure context: use https or localhost');
    const ctx = new AudioContext({ sampleRate: contextRateFor(this.options.contextRate) });
    this.ctx = ctx;
    const rate = ctx.sampleRate;
    this.debug.contextRate = ctx.sampleRate;
    this.debug.wireRate = rate;
    await Promise.all([
      ctx.audioWorklet.addModule(new URL('./capture-worklet.js', import.meta.url)),
      ctx.audioWorklet.addModule(new URL('./playback-worklet.js', import.meta.url)),
    ]);
    // Echo cancellation keeps our own greeting, heard through the speakers, from barging in on itself.
    this.mic = await navigator.mediaDevices.getUserMedia({
      audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true, autoGainControl: true },
    });

    this.capture = new AudioWorkletNode(ctx, 'banter-capture', {
      numberOfInputs: 1,
      numberOfOutputs: 0,
      processorOptions: { frameMs: CAPTURE_FRAME_MS } satisfies CaptureOptions,
    });
    this.capture.port.onmessage = (e: MessageEvent<CaptureFrame>) => this.onMicFrame(e.data.pcm);
    ctx.createMediaStreamSource(this.mic).connect(this.capture);

    this.playback = new AudioWorkletNode(ctx, 'banter-playback', {
      numberOfInputs: 0,
      numberOfOutputs: 1,
      outputChannelCount: [1],
    });
    this.playback.port.onmessage = (e: MessageEvent<PlaybackReport>) => this.onPlaybackReport(e.data);
    this.playback.connect(ctx.destination);
    await ctx.resume();
    return rate;
  }

  private async closeAudio(): Promise<void> {
    this.mic?.getTracks().forEach((t) => t.stop());
    this.capture?.disconnect();
    this.playback?.disconnect();
    const ctx = this.ctx;
    this.mic = this.capture = this.playback = this.ctx = null;
    if (ctx && ctx.state !== 'closed') await ctx.close();
  }

  private connect(rate: number): void {
    const token = this.options.token;
    const ws = new WebSocket(this.options.url, token ? ['banter.v1', `banter.token.${token}`] : undefined);
    this.ws = ws;
    ws.binaryType = 'arraybuffer';
    ws.onopen = () => {
      this.log('info', `connected; sending session.start (pcm16 ${rate} Hz both ways)`);
      this.send({
        type: 'session.start',
        protocol: PROTOCOL_VERSION,
        input: { encoding: 'pcm16', sample_rate: rate },
        output: { encoding: 'pcm16', sample_rate: rate },
        greeting: this.options.greeting,
      });
    };
    ws.onmessage = (e: MessageEvent<string | ArrayBuffer>) => {
      if (typeof e.data === 'string') this.onServerText(e.data);
      else this.onServerAudio(e.data);
    };
    ws.onerror = () => this.log('error', 'WebSocket error');
    ws.onclose = (e) => {
      this.ws = null;
      this.ready = false;
      this.debug.closeCode = e.code;
      this.log(
        e.code === 1000 ? 'info' : 'error',
        `connection closed: ${e.code}${e.reason ? ` ${e.reason}` : ''}`,
      );
      void this.closeAudio().then(() => this.setState('closed'));
    };
  }

  private onServerText(text: string): void {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      this.rejectMessage('server sent text that is not JSON');
      return;
    }
    const parsed = ServerMessage.safeParse(json);
    if (!parsed.success) {
      const type = (json as { type?: unknown } | null)?.type;
      this.rejectMessage(
        `ignored server message ${JSON.stringify(type)}: ${parsed.error.issues[0]?.message}`,
      );
      return;
    }
    const msg = parsed.data;
    this.debug.events.push({ atMs: this.now(), message: msg });
    switch (msg.type) {
      case 'session.ready':
        if (msg.output.encoding !== 'pcm16' || msg.output.sample_rate !== this.debug.wireRate) {
          this.log(
            'error',
            `server chose output ${msg.output.encoding} ${msg.output.sample_rate} Hz; stopping`,
          );
          void this.stop();
          return;
        }
        this.ready = true;
        this.debug.sessionId = msg.session_id;
        this.setState('running');
        this.log('info', `session ready (${msg.vad}, recognizer ${msg.asr ?? 'none'}); listening`);
        return;
      case 'vad.speech_start':
        this.log('speech', `speech started (t=${msg.t_ms} ms)`);
        return;
      case 'vad.speech_end':
        this.log('speech', `speech ended (t=${msg.t_ms} ms, ${msg.t_ms - msg.start_ms} ms long)`);
        return;
      case 'output.start':
        this.log('output', `${msg.kind} ${msg.id} starts at ${msg.output_ms} ms`);
        return;
      case 'output.end':
        this.log('output', `${msg.id} ${msg.reason} at ${msg.output_ms} ms`);
        return;
      case 'audio.clear':
        this.onClear(msg);
        return;
      case 'asr.partial':
        this.debug.heard = `${msg.text}…`;
        this.onChange();
        return;
      case 'asr.final':
        this.debug.heard = msg.text;
        this.log('speech', `heard: "${msg.text}"`);
        this.onChange();
        return;
      case 'speaker':
        if (msg.event === 'enrolled')
          this.log('speech', `voiceprint made from ${msg.speech_ms} ms of your speech`);
        else if (msg.event === 'other')
          this.log('speech', `another voice or noise ignored (score ${msg.score})`);
        return;
      case 'error':
        this.log('error', `${msg.code}: ${msg.message}${msg.fatal ? ' (fatal)' : ''}`);
        return;
      case 'marker':
        return;
    }
  }

  private onServerAudio(pcm: ArrayBuffer): void {
    if (!this.ready || this.debug.wireRate === null) return;
    const durationMs = pcm16DurationMs(pcm.byteLength, this.debug.wireRate);
    this.command({ type: 'audio', pcm, startMs: this.debug.receivedMs, durationMs }, [pcm]);
    this.debug.receivedMs += durationMs;
    this.debug.framesReceived++;
  }

  /** Barge-in: the server dropped what it had queued; drop what we hold, then report where we stopped. */
  private onClear(msg: ClearRecord['message']): void {
    const record: ClearRecord = {
      message: msg,
      receivedMs: this.debug.receivedMs,
      positionMs: null,
      framesDropped: null,
      droppedMs: null,
    };
    this.debug.clears.push(record);
    if (Math.abs(msg.output_ms - this.debug.receivedMs) > 0.5) {
      // The server's axis is authoritative: the next frame starts at output_ms.
      this.log(
        'error',
        `output axis mismatch: server at ${msg.output_ms} ms, client received ${this.debug.receivedMs} ms`,
      );
      this.debug.receivedMs = msg.output_ms;
    }
    this.command({ type: 'clear' });
  }

  private onPlaybackReport(report: PlaybackReport): void {
    const d = this.debug;
    d.positionMs = report.positionMs;
    d.framesPlayed = report.framesPlayed;
    if (report.type === 'position') {
      d.playing = report.playing;
    } else {
      d.playing = false;
      d.framesDropped += report.framesDropped;
      d.droppedMs += report.droppedMs;
      const record = d.clears.find((c) => c.positionMs === null);
      if (record)
        Object.assign(record, {
          positionMs: report.positionMs,
          framesDropped: report.framesDropped,
          droppedMs: report.droppedMs,
        });
      const heard = record?.message.heard_ms;
      this.log(
        'barge-in',
        `barge-in: dropped ${report.framesDropped} frames (${Math.round(report.droppedMs)} ms) at ${Math.round(report.positionMs)} ms; server estimated ${heard === undefined ? '?' : Math.round(heard)} ms heard`,
      );
    }
    this.sendPlayback(report.positionMs);
    this.onChange();
  }

  private onMicFrame(pcm: ArrayBuffer): void {
    // Audio before session.ready would be rejected (not_started); the caller is not in a session yet.
    if (!this.ready || this.ws?.readyState !== WebSocket.OPEN) return;
    this.ws.send(pcm);
    this.debug.micFramesSent++;
  }

  private sendPlayback(positionMs: number): void {
    if (!this.ready) return;
    const position = Math.floor(positionMs);
    this.send({ type: 'playback', position_ms: position });
    this.debug.reports.push(position);
  }

  private send(message: ClientMessage): void {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(message));
  }

  private command(cmd: PlaybackCommand, transfer: Transferable[] = []): void {
    this.playback?.port.postMessage(cmd, transfer);
  }

  private rejectMessage(text: string): void {
    this.debug.invalidMessages++;
    this.log('error', text);
  }

  private setState(state: ClientState): void {
    this.debug.state = state;
    this.onChange();
  }

  private log(kind: LogKind, text: string): void {
    this.onLog({ atMs: this.now(), kind, text });
    this.onChange();
  }

  private now(): number {
    return Math.round(performance.now() - this.startedAt);
  }
}
