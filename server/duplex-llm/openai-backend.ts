/**
 * A chat backend on any OpenAI-compatible server (vLLM, llama.cpp server, Ollama, banter's own
 * route): POST {url}/chat/completions with `stream: true`, Server-Sent Events parsed by
 * eventsource-parser. Aborting the signal (a barge-in) closes the HTTP stream, which is how
 * these servers learn to stop generating. Failures are coded LlmErrors.
 */
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { z } from 'zod';
import { type ChatBackend, type ChatMessage, type ChatOptions, LlmError } from './chat.ts';

export interface OpenAiBackendOptions {
  /** Base URL including the API prefix, e.g. http://127.0.0.1:8000/v1. */
  url: string;
  model: string;
  apiKey?: string;
  /** Until the response headers arrive, ms. */
  timeoutMs: number;
}

const Chunk = z.looseObject({
  choices: z.array(
    z.looseObject({
      delta: z.looseObject({ content: z.string().nullish() }).optional(),
      finish_reason: z.string().nullish(),
    }),
  ),
});

export class OpenAiChatBackend implements ChatBackend {
  readonly label: string;

  constructor(private readonly options: OpenAiBackendOptions) {
    this.label = `openai:${options.model}@${options.url}`;
  }

  async *complete(
    messages: readonly ChatMessage[],
    signal: AbortSignal,
    options: ChatOptions = {},
  ): AsyncIterable<string> {
    const { url, model, apiKey, timeoutMs } = this.options;
    const ac = new AbortController();
    const onAbort = () => ac.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(
      () => ac.abort(new LlmError('llm_timeout', `no answer within ${timeoutMs} ms`)),
      timeoutMs,
    );
    try {
      let res: Response;
      try {
        res = await fetch(`${url.replace(/\/$/, '')}/chat/completions`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            accept: 'text/event-stream',
            ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}),
          },
          body: JSON.stringify({
            model,
            messages,
            stream: true,
            ...(options.maxTokens ? { max_tokens: options.maxTokens } : {}),
          }),
          signal: ac.signal,
        });
      } catch (err) {
        if (signal.aborted) return;
        if (ac.signal.reason instanceof LlmError) throw ac.signal.reason;
        throw new LlmError('llm_unreachable', `${url}: ${(err as Error).cause ?? (err as Error).message}`, {
          cause: err,
        });
      }
      clearTimeout(timer);
      if (!res.ok || !res.body) {
        const text = (await res.text().catch(() => '')).slice(0, 200);
        throw new LlmError('llm_http_status', `${res.status} ${res.statusText} ${text}`.trim());
      }
      const queue: string[] = [];
      let done = false;
      let bad: LlmError | null = null;
      const parser = createParser({
        onEvent(event: EventSourceMessage) {
          if (event.data === '[DONE]') {
            done = true;
            return;
          }
          let json: unknown;
          try {
            json = JSON.parse(event.data);
          } catch {
            bad = new LlmError('llm_bad_response', `an event is not JSON: ${event.data.slice(0, 80)}`);
            return;
          }
          const chunk = Chunk.safeParse(json);
          if (!chunk.success) {
            bad = new LlmError('llm_bad_response', 'an event is not a chat.completion.chunk');
            return;
          }
          for (const c of chunk.data.choices) if (c.delta?.content) queue.push(c.delta.content);
        },
      });
      const decoder = new TextDecoder();
      const reader = res.body.getReader();
      try {
        while (!done) {
          let read: ReadableStreamReadResult<Uint8Array>;
          try {
            read = await reader.read();
          } catch (err) {
            if (signal.aborted) return;
            throw new LlmError('llm_unreachable', `the stream broke: ${(err as Error).message}`, {
              cause: err,
            });
          }
          if (read.done) break;
          parser.feed(decoder.decode(read.value, { stream: true }));
          if (bad) throw bad;
          while (queue.length) yield queue.shift()!;
        }
      } finally {
        await reader.cancel().catch(() => undefined);
      }
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    }
  }
}
