/**
 * A local Optimum-layout ONNX decoder (a Qwen2.5, SmolLM2 or Llama export a user brings, or
 * banter's own graph) as a turn-based chat backend for the prompted duplex mode: the chat
 * template (Jinja, rendered with @huggingface/jinja) turns the messages into the prompt, the
 * KV-cache runner generates, the tokenizer decodes. The cache shape is read off the graph
 * (past_key_values.N.key: [batch, kv_heads, past, head_dim]), so grouped-query models work.
 *
 * The folder is a model folder (manifest.json of kind `llm`) with a `chat` section:
 *   { "contract": "optimum-chat/1", "chat_template"?: "...", "stop_tokens"?: ["<|im_end|>"],
 *     "max_positions": 32768, "max_new_tokens"?: 256 }
 * without `chat_template` the one in tokenizer_config.json is used (as Hugging Face ships it).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Template } from '@huggingface/jinja';
import { z } from 'zod';
import { type LoadedModel, ModelError, type ModelRegistry, parseSection } from '../models/registry.ts';
import { loadTokenizer } from '../models/tokenizer.ts';
import type { ChatBackend, ChatMessage, ChatOptions } from './chat.ts';
import { KvDecoder, type DecoderShape } from './kv-decoder.ts';
import { argmax } from './sampling.ts';

export const ChatSection = z.strictObject({
  contract: z.literal('optimum-chat/1'),
  chat_template: z.string().min(1).optional(),
  /** Token texts that end a reply; default the tokenizer config's eos_token. */
  stop_tokens: z.array(z.string().min(1)).min(1).optional(),
  max_positions: z.number().int().positive(),
  max_new_tokens: z.number().int().positive().default(256),
});

/** The KV cache's shape from the graph's own inputs. */
export function cacheShape(model: LoadedModel, vocab: number, maxPositions: number): DecoderShape {
  const keys = model.session.inputNames.filter((n) => /^past_key_values\.\d+\.key$/.test(n));
  const meta = model.session.inputMetadata.find((m) => m.name === 'past_key_values.0.key');
  const dims = meta && meta.isTensor ? meta.shape : [];
  const kvHeads = dims[1];
  const headDim = dims[3];
  if (keys.length === 0 || typeof kvHeads !== 'number' || typeof headDim !== 'number')
    throw new ModelError(
      'model_mismatch',
      model.dir,
      'not an Optimum decoder with past: past_key_values.N.key [batch, heads, past, head_dim] with fixed heads and head_dim is required',
    );
  for (let i = 0; i < keys.length; i++)
    for (const kv of ['key', 'value'])
      if (!model.session.outputNames.includes(`present.${i}.${kv}`))
        throw new ModelError('model_mismatch', model.dir, `the graph lacks present.${i}.${kv}`);
  return { layers: keys.length, kvHeads, headDim, vocab, maxPositions };
}

export async function loadLocalChatBackend(registry: ModelRegistry, dir: string): Promise<ChatBackend> {
  const model = await registry.load(dir, 'llm');
  const section = parseSection(model.manifest, 'chat', ChatSection, model.dir);
  const tok = await loadTokenizer(model);
  const config = JSON.parse(
    await readFile(path.join(path.dirname(model.file('tokenizer')), 'tokenizer_config.json'), 'utf8').catch(
      () => '{}',
    ),
  ) as {
    chat_template?: string;
    eos_token?: string | { content: string };
    bos_token?: string | { content: string };
  };
  const templateText = section.chat_template ?? config.chat_template;
  if (!templateText)
    throw new ModelError(
      'manifest_invalid',
      model.dir,
      'no chat_template in the manifest or tokenizer_config.json',
    );
  let template: Template;
  try {
    template = new Template(templateText);
  } catch (err) {
    throw new ModelError(
      'manifest_invalid',
      model.dir,
      `chat_template does not parse: ${(err as Error).message}`,
    );
  }
  const text = (t: string | { content: string } | undefined) => (typeof t === 'string' ? t : t?.content);
  const stopTexts = section.stop_tokens ?? [text(config.eos_token)].filter((t): t is string => Boolean(t));
  if (stopTexts.length === 0)
    throw new ModelError('manifest_invalid', model.dir, 'no stop_tokens and no eos_token');
  const stops = new Set(
    stopTexts.map((t) => {
      const id = tok.token_to_id(t);
      if (id === undefined)
        throw new ModelError('model_mismatch', model.dir, `stop token ${t} is not in the tokenizer`);
      return id;
    }),
  );
  const vocab = tok.get_vocab(true).size;
  const shape = cacheShape(model, vocab, section.max_positions);
  const bos = text(config.bos_token) ?? '';
  return {
    label: `${model.manifest.name}@${model.manifest.version}`,
    async *complete(messages: readonly ChatMessage[], signal: AbortSignal, options: ChatOptions = {}) {
      const prompt = template.render({ messages, add_generation_prompt: true, bos_token: bos });
      const ids = tok.encode(prompt, { add_special_tokens: false }).ids;
      const decoder = new KvDecoder(model.session, shape);
      const limit = Math.min(options.maxTokens ?? section.max_new_tokens, section.max_positions - ids.length);
      const out: number[] = [];
      let said = '';
      let logits = await decoder.feed(ids);
      while (out.length < limit && !signal.aborted) {
        const next = argmax(logits);
        if (stops.has(next)) break;
        out.push(next);
        // decode the whole reply each time: pieces and multi-byte characters settle only in context
        const now = tok.decode(out, { skip_special_tokens: true });
        if (now.length > said.length && now.startsWith(said)) {
          yield now.slice(said.length);
          said = now;
        }
        logits = await decoder.feed([next]);
      }
      decoder.reset();
    },
  };
}
