/** WebSocket close codes the server uses: the one definition (docs/protocol.md lists them). */
export const CLOSE_CODES = {
  normal: 1000,
  goingAway: 1001,
  /** ws closes with 1009 by itself when a frame exceeds `maxPayloadBytes`. */
  messageTooBig: 1009,
  /** The client used up its error budget (config.limits.errorBudget). */
  policyViolation: 1008,
  internal: 1011,
  unsupportedProtocol: 4001,
  slowConsumer: 4008,
} as const;
export type CloseCode = (typeof CLOSE_CODES)[keyof typeof CLOSE_CODES];

/**
 * Every error code a session can report, in one table (mirrored in docs/protocol.md).
 * `fatal` errors are followed by a close with `closeCode`; the others leave the
 * session running and only drop the offending message or frame. `client`: the caller's
 * input caused it, so it draws on the connection's error budget (error-budget.ts).
 */
export const ERRORS = {
  bad_json: { fatal: false, client: true, text: 'text frame is not valid JSON' },
  unknown_type: { fatal: false, client: true, text: 'message type is not part of protocol v1; ignored' },
  invalid_message: { fatal: false, client: true, text: 'message does not match its schema' },
  control_too_large: {
    fatal: false,
    client: true,
    text: 'text frame longer than the control-message limit; dropped unread',
  },
  rate_limited: {
    fatal: false,
    client: true,
    text: 'control messages faster than the per-connection rate limit; dropped',
  },
  unsupported_protocol: {
    fatal: true,
    closeCode: CLOSE_CODES.unsupportedProtocol,
    text: 'protocol version not supported',
  },
  unsupported_encoding: { fatal: false, client: true, text: 'audio encoding not supported' },
  unsupported_sample_rate: {
    fatal: false,
    client: true,
    text: 'sample rate not supported for this encoding',
  },
  already_started: { fatal: false, client: true, text: 'session.start was already accepted' },
  not_started: { fatal: false, client: true, text: 'audio or control before session.start; dropped' },
  frame_too_large: {
    fatal: false,
    client: true,
    text: 'audio frame longer than the per-frame limit; dropped',
  },
  bad_audio: { fatal: false, client: true, text: 'audio frame cannot be decoded; dropped' },
  slow_consumer: {
    fatal: true,
    closeCode: CLOSE_CODES.slowConsumer,
    text: 'client is not reading; outbound buffer over its limit',
  },
  asr_failed: {
    fatal: false,
    text: 'speech recognition failed; the session continues without transcripts',
  },
  llm_failed: {
    fatal: false,
    text: 'the language model backend failed or timed out; the session goes on listening',
  },
  tts_failed: {
    fatal: false,
    text: 'the speech synthesizer failed; the reply was cut and the session goes on listening',
  },
  enrollment_failed: {
    fatal: false,
    text: 'too little speech in the enrollment audio; the voiceprint will be made from the call',
  },
  too_many_errors: {
    fatal: true,
    closeCode: CLOSE_CODES.policyViolation,
    text: 'too many bad messages from this client; closing',
  },
  handshake_timeout: {
    fatal: true,
    closeCode: CLOSE_CODES.policyViolation,
    text: 'no session.start accepted in time; closing',
  },
  idle_timeout: {
    fatal: true,
    closeCode: CLOSE_CODES.policyViolation,
    text: 'nothing received from this client for too long; closing',
  },
  internal: { fatal: true, closeCode: CLOSE_CODES.internal, text: 'internal server error' },
  /** Not fatal by itself: the session goes on until `deadline_ms`, then closes with 1001. */
  shutting_down: { fatal: false, text: 'server is shutting down; this session closes at the deadline' },
} as const satisfies Record<string, { fatal: boolean; client?: true; closeCode?: CloseCode; text: string }>;

export type ErrorCode = keyof typeof ERRORS;
/** Every error code, in the table's order: the wire schema's enum of `error.code`. */
export const ERROR_CODES = Object.keys(ERRORS) as [ErrorCode, ...ErrorCode[]];

/** An error that carries its protocol code, so it can cross layers and still be reported exactly. */
export class BanterError extends Error {
  constructor(
    readonly code: ErrorCode,
    message?: string,
  ) {
    super(message ?? ERRORS[code].text);
    this.name = 'BanterError';
  }
}
