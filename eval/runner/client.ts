/**
 * One conversation over protocol v1, as any caller would hold it: handshake,
 * caller audio streamed in real time (20 ms PCM16 frames), the system's
 * audio "played" through a PlaybackBuffer in step with the caller's clock,
 * `playback` positions reported, `audio.clear` obeyed, every event recorded
 * with the caller-clock time it arrived. Nothing here knows banter's
 * internals: point it at any deployment's URL.
 */
import WebSocket from 'ws';
import {
  PROTOCOL_VERSION,
  ServerMessage,
  type ClientMessage,
  type ServerMessageOf,
} from '../../server/protocol/messages.ts';
import { concatFloat32 } from '../../server/audio/buffers.ts';
import { FRAME_MS, FRAME_SAMPLES } from '../caller/caller.ts';
import { SR } from '../caller/sounds.ts';
import { floatToPcm16, pcm16ToFloat } from '../../server/audio/pcm.ts';
import { PlaybackBuffer } from './playback.ts';

/** What produces the caller's audio: a simulated caller, or a recorded track. */
export interface CallerSource {
  nextFrame(): Float32Array;
  notify(name: string, atMs?: number): void;
  readonly finished: boolean;
}

export interface RecordedEvent {
  /** Caller clock (ms of caller audio sent) when the message arrived. */
  atMs: number;
  msg: ServerMessage;
}

export interface SessionRecording {
  sampleRate: number;
  /** What the caller sent. */
  caller: Float32Array;
  /** What the caller heard, aligned sample for sample with `caller`. */
  system: Float32Array;
  events: RecordedEvent[];
  ready: ServerMessageOf<'session.ready'> | null;
  /** Set when the session failed (connection, fatal error, timeout). */
  error?: string;
  pacing: {
    /** Largest lag of the sending loop behind real time, ms (a loaded machine shows here). */
    maxLagMs: number;
    /** Wall-clock duration of the streaming, ms. */
    wallMs: number;
  };
}

export interface ClientOptions {
  url: string;
  /** Ask for the greeting. Default true. */
  greeting: boolean;
  /**
   * Playback speed: 1 streams in real time (the reference). Higher values
   * send faster than real time and ask the server to pace its output on the
   * session audio clock (`clock: 'audio'`), so the output timeline is the one
   * real time would give, up to the server's processing delay x speed.
   */
  speed: number;
  /** Report `playback {position_ms}` this often, ms. Default 100. */
  playbackReportMs: number;
  /** Give up on the handshake or the closing marker after this long, ms. Default 10000. */
  timeoutMs: number;
  /** Hard cap on the conversation length, ms of audio. Default 600000. */
  maxDurationMs: number;
}

export const defaultClientOptions = {
  url: 'ws://127.0.0.1:8080/v1/stream',
  greeting: true,
  speed: 1,
  playbackReportMs: 100,
  timeoutMs: 10_000,
  maxDurationMs: 600_000,
} as const satisfies ClientOptions;

export async function runSession(
  caller: CallerSource,
  options: Partial<ClientOptions> = {},
): Promise<SessionRecording> {
  const o = { ...defaultClientOptions, ...options };
  const playback = new PlaybackBuffer(SR);
  const callerFrames: Float32Array[] = [];
  const systemFrames: Float32Array[] = [];
  const events: RecordedEvent[] = [];
  const rec: SessionRecording = {
    sampleRate: SR,
    caller: new Float32Array(0),
    system: new Float32Array(0),
    events,
    ready: null,
    pacing: { maxLagMs: 0, wallMs: 0 },
  };
  let clockMs = 0;
  let outputRate = SR;
  let failure: string | null = null;
  const ws = new WebSocket(o.url, { perMessageDeflate: false });
  ws.binaryType = 'nodebuffer';
  // Without a listener, a socket error after the handshake would throw out of the event loop.
  ws.on('error', (err) => {
    failure ??= `socket error: ${err.message}`;
  });

  const waiters: Array<{ test: (m: ServerMessage) => boolean; resolve: (m: ServerMessage) => void }> = [];
  const closed = new Promise<void>((resolve) => ws.on('close', () => resolve()));

  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (isBinary) {
      if (outputRate === SR) playback.push(pcm16ToFloat(data));
      return;
    }
    let parsed: ServerMessage;
    try {
      parsed = ServerMessage.parse(JSON.parse(data.toString('utf8')));
    } catch {
      // Unknown message types are ignored, as protocol v1 asks of clients.
      return;
    }
    events.push({ atMs: clockMs, msg: parsed });
    switch (parsed.type) {
      case 'output.start':
        caller.notify(`output.start:${parsed.kind}`, clockMs);
        break;
      case 'vad.speech_start':
      case 'vad.speech_end':
        caller.notify(parsed.type, clockMs);
        break;
      case 'audio.clear':
        playback.clear();
        caller.notify('audio.clear', clockMs);
        break;
      case 'output.end':
        caller.notify('output.end', clockMs);
        break;
      case 'error':
        if (parsed.fatal) failure = `server error ${parsed.code}: ${parsed.message}`;
        break;
      default:
        break;
    }
    for (const w of [...waiters]) {
      if (w.test(parsed)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(parsed);
      }
    }
  });

  const waitFor = <T extends ServerMessage>(test: (m: ServerMessage) => boolean, what: string): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${what} within ${o.timeoutMs} ms`)), o.timeoutMs);
      waiters.push({
        test,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m as T);
        },
      });
      void closed.then(() => {
        clearTimeout(timer);
        reject(new Error(`connection closed before ${what}${failure ? ` (${failure})` : ''}`));
      });
    });
  const send = (m: ClientMessage) => ws.readyState === WebSocket.OPEN && ws.send(JSON.stringify(m));

  try {
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', (err) => reject(new Error(`cannot connect to ${o.url}: ${err.message}`)));
    });
    const readyP = waitFor<ServerMessageOf<'session.ready'>>(
      (m) => m.type === 'session.ready' || (m.type === 'error' && m.fatal),
      'session.ready',
    );
    send({
      type: 'session.start',
      protocol: PROTOCOL_VERSION,
      input: { encoding: 'pcm16', sample_rate: SR },
      output: { encoding: 'pcm16', sample_rate: SR },
      greeting: o.greeting,
      ...(o.speed !== 1 ? { clock: 'audio' as const } : {}),
    });
    const ready = await readyP;
    if (ready.type !== 'session.ready') throw new Error(failure ?? 'handshake refused');
    rec.ready = ready;
    outputRate = ready.output.sample_rate;
    if (ready.output.encoding !== 'pcm16' || outputRate !== SR)
      throw new Error(
        `server answered with ${ready.output.encoding} at ${outputRate} Hz; the evaluator asks for pcm16 at ${SR}`,
      );
    caller.notify('session.ready', 0);

    // Real-time pacing: frame k goes out when its 20 ms would have been captured.
    const framePeriod = FRAME_MS / o.speed;
    const t0 = performance.now();
    let k = 0;
    let lastReport = -Infinity;
    let lastReportedPos = -1;
    while (!caller.finished && !failure && ws.readyState === WebSocket.OPEN && clockMs < o.maxDurationMs) {
      const due = t0 + (k + 1) * framePeriod;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      else rec.pacing.maxLagMs = Math.max(rec.pacing.maxLagMs, -wait);
      const played = playback.pull(FRAME_SAMPLES);
      if (played.onset) caller.notify('system.audio', clockMs);
      systemFrames.push(played.samples);
      const frame = caller.nextFrame();
      callerFrames.push(frame);
      ws.send(floatToPcm16(frame));
      k++;
      clockMs = k * FRAME_MS;
      if (clockMs - lastReport >= o.playbackReportMs && playback.positionMs !== lastReportedPos) {
        lastReportedPos = playback.positionMs;
        lastReport = clockMs;
        send({ type: 'playback', position_ms: playback.positionMs });
      }
    }
    rec.pacing.wallMs = performance.now() - t0;
    if (failure) throw new Error(failure);
    if (ws.readyState !== WebSocket.OPEN) throw new Error('server closed the connection mid-conversation');
    // Flush barrier: every event caused by our audio has arrived once the marker comes back.
    const markerP = waitFor((m) => m.type === 'marker' && m.id === 'eval-end', 'marker echo');
    send({ type: 'marker', id: 'eval-end' });
    await markerP;
    send({ type: 'session.end' });
  } catch (err) {
    rec.error = err instanceof Error ? err.message : String(err);
  } finally {
    if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close(1000);
    await Promise.race([closed, sleep(2000)]);
    if (ws.readyState !== WebSocket.CLOSED) ws.terminate();
  }
  rec.caller = concatFloat32(callerFrames);
  rec.system = concatFloat32(systemFrames);
  return rec;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
