/**
 * Which language model the server runs, chosen at start-up:
 * - 'banter': banter's own TDM model (models/tdm), duplex by itself, also served on the
 *   OpenAI-compatible route /v1/chat/completions;
 * - 'openai': an OpenAI-compatible server (vLLM, llama.cpp, Ollama) in the prompted duplex mode;
 * - 'local': an Optimum ONNX decoder folder a user brings (local-chat.ts), in the prompted duplex mode;
 * - 'none': no language model.
 */
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { ModelRegistry } from '../models/registry.ts';
import type { ChatBackend } from './chat.ts';
import type { DuplexModel } from './duplex-model.ts';
import { loadLocalChatBackend } from './local-chat.ts';
import { OpenAiChatBackend } from './openai-backend.ts';
import { promptedDuplexModel } from './prompted.ts';
import { TdmChatBackend } from './tdm-chat.ts';
import { loadTdmModel } from './tdm-model.ts';

export const LLM_BACKENDS = ['banter', 'openai', 'local', 'none'] as const;

export const LlmOptions = z
  .strictObject({
    backend: z.enum(LLM_BACKENDS).default('banter'),
    /** banter: the model folder (contract banter-tdm/1); local: an Optimum decoder folder (contract optimum-chat/1). */
    modelPath: z.string().default(fileURLToPath(new URL('../../models/tdm', import.meta.url))),
    /** openai: base URL with the API prefix, e.g. http://127.0.0.1:8000/v1. */
    url: z.url().optional(),
    /** openai: the model name the server expects. */
    model: z.string().default('default'),
    /** openai: a Bearer key, from BANTER_LLM_API_KEY only (a flag would show in `ps`). */
    apiKey: z.string().optional(),
    /** openai: until the response headers arrive, ms. */
    timeoutMs: z.number().int().positive().default(10_000),
    /** banter: serve the model on /v1/chat/completions (behind the `llm` token scope when auth is on). */
    serveRoute: z.boolean().default(true),
  })
  .refine((o) => o.backend !== 'openai' || o.url !== undefined, {
    message: 'llm.url is required for the openai backend (--llm-url)',
    path: ['url'],
  });
export type LlmOptions = z.infer<typeof LlmOptions>;

export interface LoadedLlm {
  /** What the duplex session talks to. */
  duplex: DuplexModel;
  /** Turn-based access to the same model: what the OpenAI-compatible route serves. */
  chat: ChatBackend;
  /** Serve `chat` on the route. */
  serve: boolean;
}

export async function loadLlm(options: LlmOptions, registry: ModelRegistry): Promise<LoadedLlm | null> {
  switch (options.backend) {
    case 'none':
      return null;
    case 'banter': {
      const model = await loadTdmModel(registry, options.modelPath);
      return { duplex: model, chat: new TdmChatBackend(model), serve: options.serveRoute };
    }
    case 'local': {
      const chat = await loadLocalChatBackend(registry, options.modelPath);
      return { duplex: promptedDuplexModel(chat), chat, serve: false };
    }
    case 'openai': {
      const chat = new OpenAiChatBackend({
        url: options.url!, // required by LlmOptions for this backend
        model: options.model,
        apiKey: options.apiKey,
        timeoutMs: options.timeoutMs,
      });
      return { duplex: promptedDuplexModel(chat), chat, serve: false };
    }
  }
}
