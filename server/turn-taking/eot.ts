/**
 * Semantic end-of-turn (EoT) detector: P(the caller's turn is complete | the words so far).
 *
 * The model folder's manifest.json picks one of three input/output contracts:
 * - banter-eot/1: banter's own model (models/eot/): `[USER|AGENT] ... [SEP] utterance` ids +
 *   attention_mask -> probability [batch].
 * - livekit-eou/1: LiveKit turn-detector ONNX: ChatML text without the final `<|im_end|>`,
 *   `input_ids` only -> per-token output whose last element is P(end of utterance).
 * - fireredchat-eot/1: FireRedChat EoT ONNX (BERT): current user text without punctuation or
 *   spaces, padded to max_tokens -> logits [1, 2], softmax, last class = P(end).
 * See docs/models.md for how to plug in a bigger model and what is tested.
 */
import type { Tokenizer } from '@huggingface/tokenizers';
import ort from 'onnxruntime-node';
import { z } from 'zod';
import { type LoadedModel, ModelError, type ModelRegistry, parseSection } from '../models/registry.ts';
import { loadTokenizer } from '../models/tokenizer.ts';
import {
  type BanterSpecialIds,
  CHATML_TEMPLATE,
  type ChatTemplate,
  type EotTurn,
  banterLayout,
  fireredText,
  livekitText,
} from './eot-text.ts';

export { normalizeAsr, type EotTurn } from './eot-text.ts';

export const EOT_CONTRACTS = ['banter-eot/1', 'livekit-eou/1', 'fireredchat-eot/1'] as const;
export type EotContract = (typeof EOT_CONTRACTS)[number];

/** The `eot` section of manifest.json. */
export const EotSection = z.strictObject({
  contract: z.enum(EOT_CONTRACTS),
  /** Longest input in tokens; longer inputs keep their last tokens. Default 128. */
  max_tokens: z.number().int().positive().default(128),
  /** Probability at or above which the turn counts as complete. Default 0.5. */
  threshold: z.number().min(0).max(1).default(0.5),
  output: z
    .strictObject({
      /** Output tensor to read; default: the manifest's first output. */
      name: z.string().optional(),
      /** none: already a probability; sigmoid: a logit; softmax: logits over classes (last row). */
      transform: z.enum(['none', 'sigmoid', 'softmax']).optional(),
    })
    .optional(),
  /** livekit-eou/1 only: the chat template the model was trained with (default ChatML, no system prompt). */
  chat_template: z
    .strictObject({ prefix: z.string(), message: z.string(), end_marker: z.string().min(1) })
    .optional(),
  /** livekit-eou/1 only: messages kept (LiveKit: 6). */
  max_history_turns: z.number().int().positive().default(6),
});
export type EotSection = z.infer<typeof EotSection>;

/** Context of the current utterance: earlier turns (oldest first), or just banter's last reply. */
export type EotContext = string | readonly EotTurn[];

export interface EotDetector {
  readonly name: string;
  readonly version: string;
  readonly contract: EotContract;
  /** From the manifest: P >= threshold means "turn complete". */
  readonly threshold: number;
  readonly maxTokens: number;
  /** P(turn complete) for the user's transcript so far. Calls may overlap. */
  predict(transcript: string, context?: EotContext): Promise<number>;
  /** The token ids `predict` feeds (before padding), for tests and debugging. */
  encode(transcript: string, context?: EotContext): number[];
}

const DEFAULT_TRANSFORM: Record<EotContract, 'none' | 'sigmoid' | 'softmax'> = {
  'banter-eot/1': 'none',
  'livekit-eou/1': 'none',
  'fireredchat-eot/1': 'softmax',
};

function toTurns(context: EotContext | undefined): readonly EotTurn[] {
  if (context === undefined) return [];
  if (typeof context === 'string') return context ? [{ role: 'assistant', text: context }] : [];
  return context;
}

const int64 = (ids: readonly number[], pad = 0, length = ids.length): ort.Tensor => {
  const data = new BigInt64Array(length).fill(BigInt(pad));
  for (let i = 0; i < ids.length; i++) data[i] = BigInt(ids[i]);
  return new ort.Tensor('int64', data, [1, length]);
};

function tokenId(tok: Tokenizer, model: LoadedModel, role: string): number {
  const text = model.manifest.vocab?.special_tokens[role];
  if (!text)
    throw new ModelError(
      'manifest_invalid',
      model.dir,
      `vocab.special_tokens.${role} is required by this contract`,
    );
  const id = tok.token_to_id(text);
  if (id === undefined)
    throw new ModelError('model_mismatch', model.dir, `special token ${text} is not in the tokenizer`);
  return id;
}

/** Build a detector on an already loaded model (the registry shares the session). */
export async function createEotDetector(model: LoadedModel): Promise<EotDetector> {
  const { manifest, dir, session } = model;
  const section = parseSection(manifest, 'eot', EotSection, dir);
  if (!manifest.files.tokenizer)
    throw new ModelError('manifest_invalid', dir, 'files.tokenizer is required for an eot model');
  const tok = await loadTokenizer(model);
  const vocabSize = tok.get_vocab().size;
  if (manifest.vocab?.size !== undefined && manifest.vocab.size !== vocabSize) {
    throw new ModelError(
      'model_mismatch',
      dir,
      `tokenizer has ${vocabSize} tokens, manifest vocab.size is ${manifest.vocab.size}`,
    );
  }
  const encode = (text: string): number[] => tok.encode(text, { add_special_tokens: false }).ids;
  const contract = section.contract;
  const maxTokens = section.max_tokens;
  const outputName = section.output?.name ?? manifest.outputs[0].name;
  if (!session.outputNames.includes(outputName)) {
    throw new ModelError('model_mismatch', dir, `output "${outputName}" is not produced by the graph`);
  }
  const transform = section.output?.transform ?? DEFAULT_TRANSFORM[contract];
  const inputNames = new Set(session.inputNames);

  let build: (transcript: string, turns: readonly EotTurn[]) => number[];
  let feeds: (ids: number[]) => Record<string, ort.Tensor>;
  if (contract === 'banter-eot/1') {
    const special: BanterSpecialIds = {
      sep: tokenId(tok, model, 'sep'),
      user: tokenId(tok, model, 'user'),
      agent: tokenId(tok, model, 'agent'),
    };
    requireInputs(model, ['input_ids', 'attention_mask']);
    build = (t, turns) => banterLayout(encode, special, turns, t, maxTokens);
    feeds = (ids) => ({ input_ids: int64(ids), attention_mask: int64(ids.map(() => 1)) });
  } else if (contract === 'livekit-eou/1') {
    const tpl: ChatTemplate = section.chat_template
      ? {
          prefix: section.chat_template.prefix,
          message: section.chat_template.message,
          endMarker: section.chat_template.end_marker,
        }
      : CHATML_TEMPLATE;
    requireInputs(model, ['input_ids']);
    build = (t, turns) => {
      const ids = encode(livekitText(turns, t, tpl, section.max_history_turns));
      return ids.length > maxTokens ? ids.slice(ids.length - maxTokens) : ids;
    };
    feeds = (ids) => {
      const f: Record<string, ort.Tensor> = { input_ids: int64(ids) };
      if (inputNames.has('attention_mask')) f.attention_mask = int64(ids.map(() => 1));
      return f;
    };
  } else {
    const pad = tokenId(tok, model, 'pad');
    requireInputs(model, ['input_ids', 'attention_mask']);
    build = (t) => {
      const ids = encode(fireredText(t));
      return ids.length > maxTokens ? ids.slice(ids.length - maxTokens) : ids;
    };
    // FireRedChat pads to max_length on the right (padding='max_length').
    feeds = (ids) => {
      const f: Record<string, ort.Tensor> = {
        input_ids: int64(ids, pad, maxTokens),
        attention_mask: int64(
          ids.map(() => 1),
          0,
          maxTokens,
        ),
      };
      if (inputNames.has('token_type_ids')) f.token_type_ids = int64([], 0, maxTokens);
      return f;
    };
  }

  const encodeIds = (transcript: string, context?: EotContext) => build(transcript, toTurns(context));
  return {
    name: manifest.name,
    version: manifest.version,
    contract,
    threshold: section.threshold,
    maxTokens,
    encode: encodeIds,
    async predict(transcript: string, context?: EotContext): Promise<number> {
      const ids = encodeIds(transcript, context);
      const out = await session.run(feeds(ids), [outputName]);
      return readProbability(out[outputName] as ort.Tensor, transform);
    },
  };
}

function requireInputs(model: LoadedModel, names: string[]): void {
  const missing = names.filter((n) => !model.session.inputNames.includes(n));
  if (missing.length) {
    throw new ModelError('model_mismatch', model.dir, `contract needs graph inputs [${missing.join(', ')}]`);
  }
}

/** Last element (LiveKit: outputs[0].flatten()[-1]) or softmax over the last row's classes. */
function readProbability(t: ort.Tensor, transform: 'none' | 'sigmoid' | 'softmax'): number {
  const data = t.data as Float32Array;
  if (transform === 'softmax') {
    const classes = t.dims[t.dims.length - 1];
    const row = data.subarray(data.length - classes);
    const max = Math.max(...row);
    let sum = 0;
    for (const v of row) sum += Math.exp(v - max);
    return Math.exp(row[classes - 1] - max) / sum;
  }
  const last = data[data.length - 1];
  return transform === 'sigmoid' ? 1 / (1 + Math.exp(-last)) : last;
}

const detectors = new WeakMap<LoadedModel, Promise<EotDetector>>();

/**
 * Load (once per folder and registry, shared by every connection) the EoT model in `dir`
 * (banter's own: `bundledModelDir('eot')`).
 * Fails with a ModelError (model_missing, manifest_invalid, model_corrupt, model_mismatch).
 */
export async function loadEotDetector(dir: string, registry: ModelRegistry): Promise<EotDetector> {
  const model = await registry.load(dir, 'eot');
  let d = detectors.get(model);
  if (!d) {
    d = createEotDetector(model);
    detectors.set(model, d);
    d.catch(() => detectors.delete(model));
  }
  return d;
}
