/**
 * Protocol v1: the one shared definition of every JSON message on the wire.
 * Server, browser client and evaluator all import these schemas, so a field
 * renamed here is renamed everywhere (moshi once shipped a client and server
 * that disagreed on one type byte). docs/protocol.md is the prose version.
 *
 * Conventions: every time is in milliseconds; `t_ms` is on the session's
 * audio clock (caller audio received since `session.start`, after resampling
 * to 16 kHz), so it is immune to network jitter and valid in faster-than-real-time runs.
 */
import { z } from 'zod';
import { ERROR_CODES } from './errors.ts';

export const PROTOCOL_VERSION = 1;

export const INPUT_ENCODINGS = ['pcm16', 'opus', 'mulaw'] as const;
export const OUTPUT_ENCODINGS = ['pcm16', 'opus', 'mulaw'] as const;
/** Sample rates accepted for PCM16 input. mu-law is 8 kHz only; Opus packets carry their own rate. */
export const PCM_SAMPLE_RATES = [8000, 16000, 24000, 48000] as const;
export const OPUS_SAMPLE_RATES = [8000, 12000, 16000, 24000, 48000] as const;

export const InputEncoding = z.enum(INPUT_ENCODINGS);
export const OutputEncoding = z.enum(OUTPUT_ENCODINGS);
export type InputEncoding = z.infer<typeof InputEncoding>;
export type OutputEncoding = z.infer<typeof OutputEncoding>;

const timeMs = z.number().finite().nonnegative();

export const AudioFormat = z.strictObject({
  encoding: InputEncoding,
  /** Hz. */
  sample_rate: z.number().int().positive(),
});
export type AudioFormat = z.infer<typeof AudioFormat>;

export const OutputFormat = z.strictObject({
  encoding: OutputEncoding,
  /** Hz; defaults to 16000 for pcm16, 48000 for opus, 8000 for mulaw. */
  sample_rate: z.number().int().positive().optional(),
});
export type OutputFormat = z.infer<typeof OutputFormat>;

// ---------------------------------------------------------------- client -> server

export const SessionStart = z.strictObject({
  type: z.literal('session.start'),
  protocol: z.number().int(),
  input: AudioFormat,
  output: OutputFormat.optional(),
  /** Play the greeting on `session.ready` (default true). */
  greeting: z.boolean().optional(),
  /**
   * What paces the server's output (default 'realtime': the wall clock).
   * 'audio' paces it by the session audio clock instead, so an evaluator can
   * stream faster than real time and still get output aligned to its input.
   */
  clock: z.enum(['realtime', 'audio']).optional(),
  /**
   * With the speaker gate on: the caller's first `enroll_ms` of audio is an enrollment
   * recording (the app asked them to say a sentence). Their voiceprint is made from the speech
   * in it (`speaker` `enrolled`), it is not a turn, and the greeting plays after it. Ignored
   * when the gate is off.
   */
  enroll_ms: z.number().int().min(1000).max(30_000).optional(),
});

export const ClientMarker = z.strictObject({
  type: z.literal('marker'),
  /** Opaque to the server; echoed back unchanged. */
  id: z.string().min(1).max(128),
});

export const Playback = z.strictObject({
  type: z.literal('playback'),
  /** How much of the server's output audio the caller has actually played, from the output stream's start. */
  position_ms: timeMs,
});

export const SessionEnd = z.strictObject({
  type: z.literal('session.end'),
});

export const ClientMessage = z.discriminatedUnion('type', [SessionStart, ClientMarker, Playback, SessionEnd]);
export type ClientMessage = z.infer<typeof ClientMessage>;
export type SessionStart = z.infer<typeof SessionStart>;
/** Every client message type, derived from the union so the list cannot drift from the schemas. */
export const CLIENT_MESSAGE_TYPES = messageTypes(ClientMessage);

// ---------------------------------------------------------------- server -> client

export const SessionReady = z.strictObject({
  type: z.literal('session.ready'),
  protocol: z.literal(PROTOCOL_VERSION),
  session_id: z.string(),
  input: AudioFormat,
  output: z.strictObject({
    encoding: OutputEncoding,
    sample_rate: z.number().int().positive(),
    /** Duration of each binary audio frame the server sends. */
    frame_ms: z.number().positive(),
  }),
  /** Which VAD model this session uses, e.g. "silero-v5". */
  vad: z.string(),
  /** Which recognizer transcribes the caller, e.g. "banter-asr@1.0.0"; null when the server runs without one. */
  asr: z.string().nullable(),
  clock: z.enum(['realtime', 'audio']),
  t_ms: timeMs,
});

export const SpeechStart = z.strictObject({
  type: z.literal('vad.speech_start'),
  /** Onset of the speech on the audio clock (earlier than the moment it was confirmed). */
  t_ms: timeMs,
});

export const SpeechEnd = z.strictObject({
  type: z.literal('vad.speech_end'),
  /** End of the last speech frame on the audio clock. */
  t_ms: timeMs,
  start_ms: timeMs,
});

export const OutputStart = z.strictObject({
  type: z.literal('output.start'),
  /** Identifies one utterance of the server (the greeting, later each reply). */
  id: z.string(),
  kind: z.enum(['greeting', 'reply']),
  t_ms: timeMs,
  /** Position of the utterance's first sample in the output stream. */
  output_ms: timeMs,
});

export const OutputEnd = z.strictObject({
  type: z.literal('output.end'),
  id: z.string(),
  reason: z.enum(['done', 'interrupted']),
  t_ms: timeMs,
  /** Output stream position at which the utterance ended (all of it sent, or cut). */
  output_ms: timeMs,
});

export const AudioClear = z.strictObject({
  type: z.literal('audio.clear'),
  /** Drop everything not yet played; the server has dropped what it had queued. */
  id: z.string(),
  t_ms: timeMs,
  /** Output stream position after the clear: the next audio frame starts here. */
  output_ms: timeMs,
  /** How much of the utterance the server believes the caller heard. */
  heard_ms: timeMs,
});

export const AsrWord = z.strictObject({
  word: z.string().min(1),
  start_ms: timeMs,
  end_ms: timeMs,
  /** 0..1, where the recognizer gives one. */
  confidence: z.number().min(0).max(1).optional(),
});

export const AsrPartial = z.strictObject({
  type: z.literal('asr.partial'),
  /** Audio clock up to which the caller's speech was heard when this hypothesis was made. */
  t_ms: timeMs,
  /** Start of the utterance (the first word, or the audio sent to the recognizer). */
  start_ms: timeMs,
  /** The whole hypothesis so far: `stable`, then `unstable`, space-separated. */
  text: z.string(),
  /** The leading words that will not change any more. */
  stable: z.string(),
  /** The trailing part that may still change (the word being spelled). */
  unstable: z.string(),
});

export const AsrFinal = z.strictObject({
  type: z.literal('asr.final'),
  /** Audio clock at the end of the recognized stretch of speech. */
  t_ms: timeMs,
  start_ms: timeMs,
  /** The recognizer's last word on this utterance; may be empty (speech with no words in it). */
  text: z.string(),
  words: z.array(AsrWord),
});

/** What happened in a turn, on the session clock (docs/turn-taking.md): for clients, logs and evaluation. */
export const TIMELINE_EVENTS = [
  'end_of_turn',
  'llm_first_text',
  'tts_first_audio',
  'paused',
  'resumed',
  'truncated',
  'played',
] as const;

export const TurnEvent = z.strictObject({
  type: z.literal('turn.event'),
  event: z.enum(TIMELINE_EVENTS),
  t_ms: timeMs,
  /** The reply it concerns (all but end_of_turn). */
  id: z.string().optional(),
  /** end_of_turn: P(the caller is done) from the end-of-turn detector (1 with the silence rule). */
  probability: z.number().min(0).max(1).optional(),
  /**
   * end_of_turn: the caller's words it was judged on; llm_first_text: the first words; paused and
   * truncated: the words of the reply the caller heard; played: the whole reply.
   */
  text: z.string().optional(),
  /** paused, truncated, played: ms of the reply the caller heard; resumed: where it plays from. */
  heard_ms: timeMs.optional(),
});

/** What the speaker gate (personalized VAD) decided: docs/protocol.md, "Speaker events". */
export const SPEAKER_EVENTS = ['enrolled', 'primary', 'other'] as const;

export const SpeakerEventMessage = z.strictObject({
  type: z.literal('speaker'),
  /**
   * enrolled: the caller's voiceprint exists from now on; primary: the stretch of speech that
   * began at `start_ms` is the caller's and may take the floor; other: it ended without matching
   * the voiceprint (another voice, or noise) and was left alone.
   */
  event: z.enum(SPEAKER_EVENTS),
  t_ms: timeMs,
  /** primary, other: onset of the stretch judged. */
  start_ms: timeMs.optional(),
  /** primary, other: its best cosine similarity with the voiceprint. */
  score: z.number().min(-1).max(1).optional(),
  /** enrolled: ms of speech the voiceprint was made from. */
  speech_ms: timeMs.optional(),
});

export const ServerMarker = z.strictObject({
  type: z.literal('marker'),
  id: z.string(),
  t_ms: timeMs,
});

export const ErrorEvent = z.strictObject({
  type: z.literal('error'),
  code: z.enum(ERROR_CODES),
  message: z.string(),
  /** True when the server closes the connection right after this event. */
  fatal: z.boolean(),
  /** shutting_down only: ms from now until the server closes this session (1001). */
  deadline_ms: z.number().int().nonnegative().optional(),
});

export const ServerMessage = z.discriminatedUnion('type', [
  SessionReady,
  SpeechStart,
  SpeechEnd,
  OutputStart,
  OutputEnd,
  AudioClear,
  AsrPartial,
  AsrFinal,
  TurnEvent,
  SpeakerEventMessage,
  ServerMarker,
  ErrorEvent,
]);
export type ServerMessage = z.infer<typeof ServerMessage>;
export type ServerMessageOf<T extends ServerMessage['type']> = Extract<ServerMessage, { type: T }>;
export const SERVER_MESSAGE_TYPES = messageTypes(ServerMessage);

/** Default output sample rate per encoding, in Hz. */
export function defaultOutputRate(encoding: OutputEncoding): number {
  return encoding === 'opus' ? 48000 : encoding === 'mulaw' ? 8000 : 16000;
}

/** The `type` literals of a discriminated union of message schemas, in declaration order. */
function messageTypes<T extends string>(union: {
  options: readonly { shape: { type: { value: T } } }[];
}): readonly T[] {
  return union.options.map((o) => o.shape.type.value);
}
