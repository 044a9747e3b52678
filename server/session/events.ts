/**
 * The session's own language, free of any wire: what a gateway hands a session (inputs) and
 * what a session hands back (events). A gateway (server/gateways/) translates its wire to and
 * from these; the session never sees JSON or a WebSocket frame. All times are ms; `atMs` is on
 * the session audio clock (caller audio processed), `outputMs` on the output stream's axis.
 */
import type { Transcript } from '../asr/recognizer.ts';
import type { ErrorCode } from '../protocol/errors.ts';
import type { AudioFormat, OutputEncoding, OutputFormat, TIMELINE_EVENTS } from '../protocol/messages.ts';

/** What paces the output: the wall clock, or the caller's audio (faster-than-real-time evaluation). */
export type OutputClock = 'realtime' | 'audio';

export type SessionInput =
  /** The caller's handshake, already checked against the wire's protocol version. */
  | {
      type: 'start';
      input: AudioFormat;
      output: OutputFormat;
      greeting: boolean;
      clock: OutputClock;
      /** The caller's first ms of audio are an enrollment recording (speaker gate). */
      enrollMs?: number;
    }
  /** One frame of caller audio in the negotiated input encoding. */
  | { type: 'audio'; data: Uint8Array }
  /** How much of the output stream the caller has played. */
  | { type: 'playback'; positionMs: number }
  /** A flush barrier: answered once everything before it is processed. */
  | { type: 'marker'; id: string }
  /** The caller ends the session. */
  | { type: 'end' }
  /** The caller's connection is gone. */
  | { type: 'hangup' }
  /** A handshake the wire refused (a foreign protocol version): `already_started` if one was accepted, else fatal `code`. */
  | { type: 'start_refused'; code: ErrorCode; message: string }
  /** Something the gateway could not accept (bad JSON, a schema violation): reported, never fatal unless the code is. */
  | { type: 'rejected'; code: ErrorCode; message?: string }
  /** The gateway itself threw on a frame (a bug): the session ends with `internal`, the process goes on. */
  | { type: 'fault'; error: unknown };

export type ReplyKind = 'greeting' | 'reply';

export type SessionEvent =
  | {
      type: 'ready';
      sessionId: string;
      input: AudioFormat;
      output: { encoding: OutputEncoding; sampleRate: number; frameMs: number };
      vad: string;
      /** The recognizer's label, or null when the server runs without one. */
      asr: string | null;
      clock: OutputClock;
      atMs: number;
    }
  | { type: 'speech_start'; atMs: number }
  | { type: 'speech_end'; atMs: number; startMs: number }
  | { type: 'output_start'; id: string; kind: ReplyKind; atMs: number; outputMs: number }
  | { type: 'output_end'; id: string; reason: 'done' | 'interrupted'; atMs: number; outputMs: number }
  /** The caller must drop the audio it holds; `heardMs` is what the server believes was heard of reply `id`. */
  | { type: 'audio_clear'; id: string; atMs: number; outputMs: number; heardMs: number }
  /** What the caller said: a partial hypothesis or an utterance's final transcript (times on the audio clock). */
  | { type: 'transcript'; transcript: Transcript }
  | { type: 'marker'; id: string; atMs: number }
  | TimelineEvent
  /** The speaker gate's decisions (protocol `speaker`); scores are cosines with the voiceprint. */
  | {
      type: 'speaker';
      event: 'enrolled' | 'primary' | 'other';
      atMs: number;
      startMs?: number;
      score?: number;
      speechMs?: number;
    }
  | { type: 'error'; code: ErrorCode; message: string; fatal: boolean; deadlineMs?: number };

/** One entry of a turn's timeline (see the wire's turn.event for what each field means per event). */
export interface TimelineEvent {
  type: 'timeline';
  event: (typeof TIMELINE_EVENTS)[number];
  atMs: number;
  id?: string;
  probability?: number;
  text?: string;
  heardMs?: number;
}

/** What a session needs from the gateway that carries it. */
export interface CallerLink {
  /** Unsent bytes held by the connection (outbound backpressure). */
  readonly bufferedAmount: number;
  /** 1 while the connection is open (the WebSocket readyState convention). */
  readonly readyState: number;
  /** Sends one wire frame (an encoded event, or an audio frame already wrapped for the wire). */
  send(frame: string | Uint8Array): void;
  /** Encodes a session event for the wire; null for an event the wire has no message for. */
  encodeEvent(event: SessionEvent): string | Uint8Array | null;
  /** Wraps one encoded audio frame for the wire (protocol v1: the bytes themselves). */
  encodeAudio(frame: Uint8Array): string | Uint8Array;
  close(code: number, reason: string): void;
  /** Stop reading from the connection (input backpressure), and start again. */
  pause(): void;
  resume(): void;
}
