/**
 * Gateway for protocol v1 over WebSocket (docs/protocol.md): wire messages -> typed session
 * inputs, session events -> wire messages. Everything that knows v1's JSON lives here; the
 * session behind it would serve a carrier's media stream just as well through another gateway.
 */
import type { RawData, WebSocket } from 'ws';
import type { Transcript } from '../asr/recognizer.ts';
import type { CallerLink, SessionEvent, SessionInput } from '../session/events.ts';
import { truncate } from '../limits/limits.ts';
import {
  CLIENT_MESSAGE_TYPES,
  ClientMessage,
  PROTOCOL_VERSION,
  type ServerMessage,
} from '../protocol/messages.ts';

/** The session end of a gateway: it takes inputs and nothing else. */
export interface SessionPort {
  handle(input: SessionInput): void;
}

/** One text frame -> the session input it stands for (a `rejected` input when it is not valid v1). */
export function parseTextFrame(text: string): SessionInput {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { type: 'rejected', code: 'bad_json' };
  }
  const parsed = ClientMessage.safeParse(json);
  if (!parsed.success) {
    const type = typeof json === 'object' && json !== null ? (json as { type?: unknown }).type : undefined;
    if ((CLIENT_MESSAGE_TYPES as readonly unknown[]).includes(type)) {
      const issue = parsed.error.issues[0];
      const where = issue?.path.length ? ` at ${truncate(issue.path.map(String).join('.'), 60)}` : '';
      return {
        type: 'rejected',
        code: 'invalid_message',
        message: `${String(type)}${where}: ${truncate(issue?.message ?? 'invalid', 120)}`,
      };
    }
    return {
      type: 'rejected',
      code: 'unknown_type',
      message: `unknown message type ${describeType(type)}; ignored`,
    };
  }
  const msg = parsed.data;
  switch (msg.type) {
    case 'session.start':
      if (msg.protocol !== PROTOCOL_VERSION) {
        return {
          type: 'start_refused',
          code: 'unsupported_protocol',
          message: `protocol ${msg.protocol} requested; this server speaks ${PROTOCOL_VERSION}`,
        };
      }
      return {
        type: 'start',
        input: msg.input,
        output: msg.output ?? { encoding: 'pcm16' },
        greeting: msg.greeting !== false,
        clock: msg.clock ?? 'realtime',
        ...(msg.enroll_ms === undefined ? {} : { enrollMs: msg.enroll_ms }),
      };
    case 'playback':
      return { type: 'playback', positionMs: msg.position_ms };
    case 'marker':
      return { type: 'marker', id: msg.id };
    case 'session.end':
      return { type: 'end' };
  }
}

/**
 * The client's `type` field as an error message may quote it: a short string verbatim, anything
 * else by its kind only. (Quoting it whole once let one 10 kB message of nested arrays overflow
 * the stack and take the process down.)
 */
function describeType(type: unknown): string {
  if (typeof type === 'string') return JSON.stringify(truncate(type, 40));
  if (type === undefined) return '(missing)';
  if (type === null) return 'null';
  return `(${Array.isArray(type) ? 'array' : typeof type})`;
}

/** A session event as the v1 message the caller reads. */
export function toWireMessage(event: SessionEvent): ServerMessage {
  switch (event.type) {
    case 'ready':
      return {
        type: 'session.ready',
        protocol: PROTOCOL_VERSION,
        session_id: event.sessionId,
        input: event.input,
        output: {
          encoding: event.output.encoding,
          sample_rate: event.output.sampleRate,
          frame_ms: event.output.frameMs,
        },
        vad: event.vad,
        asr: event.asr,
        clock: event.clock,
        t_ms: event.atMs,
      };
    case 'speech_start':
      return { type: 'vad.speech_start', t_ms: event.atMs };
    case 'speech_end':
      return { type: 'vad.speech_end', t_ms: event.atMs, start_ms: event.startMs };
    case 'output_start':
      return {
        type: 'output.start',
        id: event.id,
        kind: event.kind,
        t_ms: event.atMs,
        output_ms: event.outputMs,
      };
    case 'output_end':
      return {
        type: 'output.end',
        id: event.id,
        reason: event.reason,
        t_ms: event.atMs,
        output_ms: event.outputMs,
      };
    case 'audio_clear':
      return {
        type: 'audio.clear',
        id: event.id,
        t_ms: event.atMs,
        output_ms: event.outputMs,
        heard_ms: event.heardMs,
      };
    case 'transcript':
      return transcriptMessage(event.transcript);
    case 'marker':
      return { type: 'marker', id: event.id, t_ms: event.atMs };
    case 'timeline':
      return {
        type: 'turn.event',
        event: event.event,
        t_ms: Math.round(event.atMs),
        ...(event.id === undefined ? {} : { id: event.id }),
        ...(event.probability === undefined ? {} : { probability: event.probability }),
        ...(event.text === undefined ? {} : { text: event.text }),
        ...(event.heardMs === undefined ? {} : { heard_ms: Math.round(event.heardMs) }),
      };
    case 'speaker':
      return {
        type: 'speaker',
        event: event.event,
        t_ms: Math.round(event.atMs),
        ...(event.startMs === undefined ? {} : { start_ms: Math.round(event.startMs) }),
        ...(event.score === undefined ? {} : { score: Math.round(event.score * 1000) / 1000 }),
        ...(event.speechMs === undefined ? {} : { speech_ms: Math.round(event.speechMs) }),
      };
    case 'error':
      return {
        type: 'error',
        code: event.code,
        message: event.message,
        fatal: event.fatal,
        ...(event.deadlineMs === undefined ? {} : { deadline_ms: event.deadlineMs }),
      };
  }
}

function transcriptMessage(t: Transcript): ServerMessage {
  if (t.kind === 'partial') {
    return {
      type: 'asr.partial',
      t_ms: t.endMs,
      start_ms: t.startMs,
      text: [t.stable, t.unstable].filter(Boolean).join(' '),
      stable: t.stable,
      unstable: t.unstable,
    };
  }
  return {
    type: 'asr.final',
    t_ms: t.endMs,
    start_ms: t.startMs,
    text: t.stable,
    words: t.words.map((w) => ({
      word: w.text,
      start_ms: w.startMs,
      end_ms: w.endMs,
      ...(w.confidence === undefined ? {} : { confidence: w.confidence }),
    })),
  };
}

/** The CallerLink of one WebSocket: v1 events as JSON text frames, audio as binary frames. */
export function wsV1Link(ws: WebSocket): CallerLink {
  return {
    get bufferedAmount() {
      return ws.bufferedAmount;
    },
    get readyState() {
      return ws.readyState;
    },
    send: (frame) => ws.send(frame),
    encodeEvent: (event) => JSON.stringify(toWireMessage(event)),
    encodeAudio: (frame) => frame,
    close: (code, reason) => ws.close(code, reason),
    pause: () => ws.pause(),
    resume: () => ws.resume(),
  };
}

export interface WsV1Limits {
  /** Longest text frame read, bytes (config.limits.maxControlBytes). */
  maxControlBytes: number;
}

/** Feeds a WebSocket's frames to its session until the socket closes. */
export function attachWsV1(
  ws: WebSocket,
  session: SessionPort,
  limits: WsV1Limits,
  onClosed: () => void,
): void {
  ws.on('message', (data: RawData, isBinary: boolean) => {
    let input: SessionInput;
    try {
      input = isBinary ? { type: 'audio', data: toBytes(data) } : textInput(data, limits.maxControlBytes);
    } catch (error) {
      input = { type: 'fault', error };
    }
    session.handle(input);
  });
  ws.on('close', () => {
    session.handle({ type: 'hangup' });
    onClosed();
  });
}

/** A text frame as a session input; one over the control limit is refused without being parsed. */
function textInput(data: RawData, maxBytes: number): SessionInput {
  const bytes = toBytes(data);
  if (bytes.byteLength > maxBytes) {
    return {
      type: 'rejected',
      code: 'control_too_large',
      message: `text frame of ${bytes.byteLength} bytes; the limit is ${maxBytes}`,
    };
  }
  return parseTextFrame(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
}

function toBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return new Uint8Array(Buffer.concat(data));
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}
