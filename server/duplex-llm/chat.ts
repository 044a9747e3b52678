/**
 * Turn-based chat backends: messages in, the reply's text out as a stream of deltas. The
 * prompted duplex mode (prompted.ts) puts one behind the session's own timing; banter also
 * serves one on an OpenAI-compatible route (openai-route.ts).
 */

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface ChatOptions {
  /** Longest reply in tokens (the backend's own tokens). */
  maxTokens?: number;
}

export interface ChatBackend {
  readonly label: string;
  /** Streams the reply; aborting `signal` stops generation (and closes an HTTP stream). */
  complete(
    messages: readonly ChatMessage[],
    signal: AbortSignal,
    options?: ChatOptions,
  ): AsyncIterable<string>;
}

export const LLM_ERRORS = {
  llm_unreachable: 'the LLM server cannot be reached',
  llm_timeout: 'the LLM server did not answer in time',
  llm_http_status: 'the LLM server answered with an error status',
  llm_bad_response: 'the LLM server sent a response that is not an OpenAI chat completion stream',
} as const;
export type LlmErrorCode = keyof typeof LLM_ERRORS;

/** A backend failure; the session reports it as `llm_failed` and goes on listening. */
export class LlmError extends Error {
  constructor(
    readonly code: LlmErrorCode,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`${code}: ${detail}`, options);
    this.name = 'LlmError';
  }
}
