/**
 * banter's own TDM duplex LLM (contract banter-tdm/1, models/tdm/): one ONNX session shared by
 * every conversation, one KV cache per conversation carried across slices (docs/tdm.md).
 *
 * Per slice the engine feeds, in ONE run: the model's last one-token decision (not fed when it
 * was written, since nothing needed its logits yet), the caller's slice and <a>; the first token
 * it reads back is the decision. Words cost one run each. A silent slice therefore costs one
 * run of a few tokens.
 */
import type { Tokenizer } from '@huggingface/tokenizers';
import { z } from 'zod';
import { type LoadedModel, ModelError, type ModelRegistry, parseSection } from '../models/registry.ts';
import { loadTokenizer } from '../models/tokenizer.ts';
import type { DuplexConversation, DuplexModel, SliceOutput, UserSlice } from './duplex-model.ts';
import { KvDecoder, type DecoderShape } from './kv-decoder.ts';
import { GREEDY, type SamplingOptions, createSampler } from './sampling.ts';
import {
  type TdmTokenIds,
  decideGreedy,
  decisionOf,
  heardPieceCount,
  pieceText,
  userSliceTokens,
} from './tdm-stream.ts';

export const TdmSection = z.strictObject({
  contract: z.literal('banter-tdm/1'),
  /** The slice clock the model was trained with, ms. */
  slice_ms: z.number().positive(),
  /** Learned positions: the stream may not grow past this many tokens. */
  max_positions: z.number().int().positive(),
  layers: z.number().int().positive(),
  heads: z.number().int().positive(),
  head_dim: z.number().int().positive(),
  /** Words written in one slice at most (tokens); the engine ends the slice there. */
  max_slice_tokens: z.number().int().positive().default(16),
  tokens: z.strictObject({
    user: z.string(),
    assistant: z.string(),
    vad: z.string(),
    barge_in: z.string(),
    done: z.string(),
    eot: z.array(z.string()).min(2),
    idle: z.string(),
    cont: z.string(),
    stop: z.string(),
    eos: z.string(),
  }),
});
export type TdmSection = z.infer<typeof TdmSection>;

export interface TdmOptions {
  sampling: SamplingOptions;
  /**
   * When the stream would outgrow the model's positions, the oldest slices are dropped until
   * it fills at most this share of them, and the cache is recomputed (docs/tdm.md).
   */
  keepShare: number;
  /**
   * A reply opens with a piece that has a letter or digit in it: when the model chooses to speak
   * and its likeliest first piece is a mark ("." or "?", a habit of the small model at a
   * conversation's start), its likeliest word piece is taken instead. Off only to compare with
   * PyTorch's raw decisions.
   */
  replyStartsWithWord: boolean;
  /**
   * A reply ends (`<eos>`) instead of repeating a run of this many pieces it already said. The
   * small model, once out of things to say, loops ("i don't know i don't know i i i"), and a
   * loop on the air holds the floor for nothing. 0 turns it off (PyTorch parity).
   */
  noRepeatNgram: number;
}

export const DEFAULT_TDM_OPTIONS: TdmOptions = {
  sampling: GREEDY,
  keepShare: 0.5,
  replyStartsWithWord: true,
  noRepeatNgram: 3,
};

export interface TdmModel extends DuplexModel {
  readonly maxPositions: number;
  /** The stream's special token ids. */
  readonly ids: TdmTokenIds;
  /** Decision-level greedy choice of the next token (decideGreedy), the default decoding. */
  decide(logits: Float32Array): number;
  /** Token ids of already-normalized text, no special tokens. */
  encode(text: string): number[];
  /**
   * `system` is ignored (banter's small model has no system prompt); `seed` overrides the
   * sampling seed; `sampler` replaces sampling altogether (tests script decisions with it).
   */
  createConversation(options?: {
    system?: string;
    seed?: number;
    sampler?: (logits: Float32Array) => number;
  }): TdmConversation;
}

export async function loadTdmModel(
  registry: ModelRegistry,
  dir: string,
  options: Partial<TdmOptions> = {},
): Promise<TdmModel> {
  return createTdmModel(await registry.load(dir, 'llm'), options);
}

/** Builds the model on a loaded folder; every mismatch between manifest, tokenizer and graph is a coded start-up error. */
export async function createTdmModel(
  model: LoadedModel,
  options: Partial<TdmOptions> = {},
): Promise<TdmModel> {
  const { manifest, dir, session } = model;
  const section = parseSection(manifest, 'tdm', TdmSection, dir);
  const opts = { ...DEFAULT_TDM_OPTIONS, ...options };
  const missing: string[] = [];
  for (let i = 0; i < section.layers; i++) {
    for (const kv of ['key', 'value']) {
      if (!session.inputNames.includes(`past_key_values.${i}.${kv}`))
        missing.push(`past_key_values.${i}.${kv}`);
      if (!session.outputNames.includes(`present.${i}.${kv}`)) missing.push(`present.${i}.${kv}`);
    }
  }
  for (const name of ['input_ids', 'attention_mask'])
    if (!session.inputNames.includes(name)) missing.push(name);
  if (!session.outputNames.includes('logits')) missing.push('logits');
  if (missing.length)
    throw new ModelError(
      'model_mismatch',
      dir,
      `the graph lacks ${missing.join(', ')} (manifest: ${section.layers} layers)`,
    );
  if (!manifest.files.tokenizer)
    throw new ModelError('manifest_invalid', dir, 'files.tokenizer is required for a TDM model');
  const tok = await loadTokenizer(model);
  const vocab = tok.get_vocab(true).size;
  if (manifest.vocab?.size !== undefined && manifest.vocab.size !== vocab)
    throw new ModelError(
      'model_mismatch',
      dir,
      `tokenizer has ${vocab} tokens, manifest vocab.size says ${manifest.vocab.size}`,
    );
  const logitsSpec = manifest.outputs.find((o) => o.name === 'logits');
  const logitsVocab = logitsSpec?.shape[2];
  if (typeof logitsVocab === 'number' && logitsVocab !== vocab)
    throw new ModelError(
      'model_mismatch',
      dir,
      `logits have ${logitsVocab} classes, the tokenizer ${vocab} tokens`,
    );
  const id = (text: string): number => {
    const v = tok.token_to_id(text);
    if (v === undefined) throw new ModelError('model_mismatch', dir, `token ${text} is not in the tokenizer`);
    return v;
  };
  const t = section.tokens;
  const ids: TdmTokenIds = {
    user: id(t.user),
    assistant: id(t.assistant),
    vad: id(t.vad),
    bargeIn: id(t.barge_in),
    done: id(t.done),
    eot: t.eot.map(id),
    idle: id(t.idle),
    cont: id(t.cont),
    stop: id(t.stop),
    eos: id(t.eos),
  };
  const shape: DecoderShape = {
    layers: section.layers,
    kvHeads: section.heads,
    headDim: section.head_dim,
    vocab,
    maxPositions: section.max_positions,
  };
  const pieces: string[] = [];
  for (const [text, i] of tok.get_vocab(true)) pieces[i] = text;
  const special = new Set<number>(tok.get_added_tokens_decoder().keys());
  for (const t of [...Object.values(ids).flat()]) special.add(t);
  const greedy = decideGreedy(ids, special);
  // Pieces with no letter or digit: a reply may not start with one (see noReplyStart).
  const noReplyStart = new Set<number>();
  const textPieces: number[] = [];
  pieces.forEach((p, i) => {
    if (special.has(i)) return;
    textPieces.push(i);
    if (!/[\p{L}\p{N}]/u.test(p)) noReplyStart.add(i);
  });
  let conversations = 0;
  return {
    label: `${manifest.name}@${manifest.version}`,
    sliceMs: section.slice_ms,
    maxPositions: section.max_positions,
    ids,
    encode: (text) => tok.encode(text, { add_special_tokens: false }).ids,
    decide: greedy,
    createConversation(o = {}) {
      const sampling = { ...opts.sampling, seed: o.seed ?? opts.sampling.seed + conversations++ };
      return new TdmConversation(
        new KvDecoder(session, shape),
        {
          ids,
          pieces,
          tok,
          maxSliceTokens: section.max_slice_tokens,
          keepShare: opts.keepShare,
          noReplyStart: opts.replyStartsWithWord ? noReplyStart : new Set(),
          noRepeatNgram: opts.noRepeatNgram,
          textPieces,
        },
        o.sampler ?? (sampling.temperature <= 0 ? greedy : createSampler(sampling)),
      );
    },
  };
}

interface Vocabulary {
  ids: TdmTokenIds;
  pieces: readonly string[];
  tok: Tokenizer;
  maxSliceTokens: number;
  keepShare: number;
  /**
   * Text pieces that may not open a reply (punctuation only). The small model sometimes answers
   * "." or "?" and ends: audio with no word in it, and a floor taken for nothing. Masked only at
   * a reply's first piece, so the decision itself (speak or not) is the model's.
   */
  noReplyStart: ReadonlySet<number>;
  /** Every text piece (not a special token). */
  textPieces: readonly number[];
  /** See TdmOptions.noRepeatNgram. */
  noRepeatNgram: number;
}

/** One slice of the stream: the caller's part (<u> ... <a>) and the model's decision tokens. */
interface StreamSlice {
  user: number[];
  decision: number[];
  /** The reply this slice wrote words of, or -1. */
  reply: number;
}

/** A conversation's stream and cache. Not safe for overlapping `step` calls (one slice at a time). */
export class TdmConversation implements DuplexConversation {
  private readonly slices: StreamSlice[] = [];
  /** The last slice's final one-token decision, written but not yet fed. */
  private pending: number | null = null;
  private reply = -1;
  private replies = 0;
  /** The current reply has written its first piece (the next one is not at its start). */
  private replyStarted = false;
  /** The pieces the current reply wrote (for noRepeatNgram). */
  private replyPieces: number[] = [];
  private heard: string | null = null;
  /** Pieces of the current reply whose slices were dropped to make room (they still count as said). */
  private droppedPieces: string[] = [];
  private busy = false;
  /** Recomputations after the stream outgrew the model's positions. */
  compactions = 0;

  constructor(
    private readonly decoder: KvDecoder,
    private readonly v: Vocabulary,
    private readonly sample: (logits: Float32Array) => number,
  ) {}

  /** The stream as tokens (fed and pending), for tests and debugging. */
  tokens(): number[] {
    return this.slices.flatMap((s) => [...s.user, ...s.decision]);
  }

  /** The stream slice by slice as token texts, for tests and debugging. */
  describe(): { user: string[]; decision: string[] }[] {
    const text = (ids: number[]) => ids.map((i) => this.v.pieces[i]);
    return this.slices.map((s) => ({ user: text(s.user), decision: text(s.decision) }));
  }

  /** Logits after feeding `ids` on top of the current stream, without keeping them (tests). */
  async peek(ids: number[]): Promise<Float32Array> {
    const before = this.decoder.size;
    const feed = this.pending === null ? ids : [this.pending, ...ids];
    const logits = await this.decoder.feed(feed);
    this.decoder.truncate(before);
    return logits;
  }

  async *step(slice: UserSlice, signal: AbortSignal): AsyncIterable<SliceOutput> {
    if (this.busy) throw new Error('TdmConversation.step: the previous slice has not finished');
    this.busy = true;
    try {
      yield* this.run(slice, signal);
    } finally {
      this.busy = false;
    }
  }

  private async *run(slice: UserSlice, signal: AbortSignal): AsyncIterable<SliceOutput> {
    const { ids, maxSliceTokens } = this.v;
    for (const s of slice.signals) {
      if (s.type === 'heard') this.heard = s.text;
      if (s.type === 'played') this.endReply();
    }
    const user = userSliceTokens(slice, ids, (t) => this.encode(t), false);
    await this.makeRoom(user.length + maxSliceTokens + 2);
    const cur: StreamSlice = { user, decision: [], reply: -1 };
    this.slices.push(cur);
    let logits = await this.decoder.feed(this.pending === null ? user : [this.pending, ...user]);
    this.pending = null;
    let written = 0;
    while (!signal.aborted) {
      let next = this.sample(logits);
      if (this.reply < 0 && this.v.noReplyStart.has(next)) next = this.bestWordStart(logits);
      if (this.reply >= 0 && repeatsNgram(this.replyPieces, next, this.v.noRepeatNgram)) next = ids.eos;
      const d = decisionOf(next, ids);
      if (d === 'user') {
        // "nothing more this slice": the next slice's <u> is written by the engine, the same token
        if (written === 0) break;
        return;
      }
      if (d !== 'text') {
        cur.decision.push(next);
        this.pending = next;
        if (d === 'stop') {
          await this.truncateReply();
          this.endReply();
          yield { type: 'stop' };
        } else if (d === 'eos') {
          yield { type: 'end' };
        } else {
          yield { type: d === 'cont' ? 'continue' : 'idle' };
        }
        return;
      }
      if (this.reply < 0) {
        this.reply = this.replies++;
        this.heard = null;
        this.droppedPieces = [];
        this.replyStarted = false;
        this.replyPieces = [];
      }
      const atStart = !this.replyStarted;
      this.replyStarted = true;
      cur.reply = this.reply;
      cur.decision.push(next);
      this.replyPieces.push(next);
      logits = await this.decoder.feed([next]);
      yield { type: 'text', delta: pieceText(this.v.pieces[next], atStart) };
      if (++written >= maxSliceTokens) return;
    }
    if (written === 0) {
      // aborted before the decision, or <u> right after <a> (never in training): an idle slice keeps the stream well formed
      cur.decision.push(ids.idle);
      this.pending = ids.idle;
      yield { type: 'idle' };
    }
  }

  async abandonReply(heard: string): Promise<void> {
    if (this.busy) throw new Error('TdmConversation.abandonReply: a slice is being decided');
    if (this.reply < 0) return;
    const { ids } = this.v;
    const last = this.slices.at(-1);
    // The usual case: the model stayed paused (<idle>) or meant to go on (<cont>) in its last
    // slice; that decision, not yet fed, becomes the <stop> it would have written.
    const p = this.pending;
    if (last && p !== null && (p === ids.idle || p === ids.cont) && last.decision.at(-1) === p) {
      last.decision[last.decision.length - 1] = ids.stop;
      this.pending = ids.stop;
    }
    this.heard = heard;
    await this.truncateReply();
    this.endReply();
  }

  /** The model chose to speak, and a mark to start with: its likeliest piece with a word in it instead. */
  private bestWordStart(logits: Float32Array): number {
    let best = -1;
    for (const t of this.v.textPieces) {
      if (this.v.noReplyStart.has(t)) continue;
      if (best < 0 || logits[t] > logits[best]) best = t;
    }
    return best;
  }

  close(): void {
    this.decoder.reset();
    this.slices.length = 0;
    this.pending = null;
  }

  private encode(text: string): number[] {
    return this.v.tok.encode(text, { add_special_tokens: false }).ids;
  }

  private endReply(): void {
    this.reply = -1;
    this.heard = null;
    this.droppedPieces = [];
  }

  /**
   * Only what the caller heard stays in banter's history: words after it are removed from the
   * slices that wrote them (a slice left without words keeps speaking, <cont>; <eos> goes), as
   * the training episodes do. The cache rolls back to the first changed token and the rest of
   * the stream is fed again (cheaper than a full recompute; exact, unlike editing the cache).
   */
  private async truncateReply(): Promise<void> {
    if (this.reply < 0 || this.heard === null) return;
    const { ids, pieces } = this.v;
    const mine = this.slices.filter((s) => s.reply === this.reply);
    const words = mine.flatMap((s) => s.decision.filter((t) => t !== ids.eos).map((t) => pieces[t]));
    const dropped = this.droppedPieces.length;
    let keep = Math.max(0, heardPieceCount([...this.droppedPieces, ...words], this.heard) - dropped);
    if (keep >= words.length) return;
    let firstChanged = -1;
    let offset = 0;
    for (const s of this.slices) {
      offset += s.user.length;
      if (s.reply === this.reply) {
        const text = s.decision.filter((t) => t !== ids.eos);
        const cut = Math.max(0, Math.min(text.length, keep));
        keep -= text.length;
        if (cut < text.length || s.decision.includes(ids.eos)) {
          if (firstChanged < 0) firstChanged = offset + cut;
          s.decision = cut > 0 ? text.slice(0, cut) : [ids.cont];
          if (cut === 0) s.reply = -1;
        }
      }
      offset += s.decision.length;
    }
    if (firstChanged < 0) return;
    await this.resync(firstChanged);
  }

  /** Rolls the cache back to `validPrefix` tokens and feeds the stream after it (the pending token excepted). */
  private async resync(validPrefix: number): Promise<void> {
    const all = this.tokens();
    const fedLength = all.length - (this.pending === null ? 0 : 1);
    this.decoder.truncate(validPrefix);
    if (fedLength > this.decoder.size) await this.decoder.feed(all.slice(this.decoder.size, fedLength));
  }

  /**
   * Keeps the stream inside the model's positions: before a slice that might not fit, the oldest
   * slices go until the stream fills at most keepShare of the positions, and the cache is
   * recomputed from position 0 (positions are learned; training windows also start at a slice).
   */
  private async makeRoom(needed: number): Promise<void> {
    const max = this.decoder.shape.maxPositions;
    if (this.decoder.size + 1 + needed <= max) return;
    const budget = Math.floor(max * this.v.keepShare);
    let total = this.slices.reduce((n, s) => n + s.user.length + s.decision.length, 0);
    while (this.slices.length > 1 && total > budget) {
      const s = this.slices.shift()!;
      total -= s.user.length + s.decision.length;
      if (s.reply >= 0 && s.reply === this.reply)
        this.droppedPieces.push(
          ...s.decision.filter((t) => t !== this.v.ids.eos).map((t) => this.v.pieces[t]),
        );
    }
    this.compactions++;
    this.decoder.reset();
    await this.resync(0);
  }
}

/** True when `next` after `said` would say again a run of `n` pieces already in `said` (n 0: never). */
export function repeatsNgram(said: readonly number[], next: number, n: number): boolean {
  if (n <= 0 || said.length < n) return false;
  const tail = [...said.slice(said.length - (n - 1)), next];
  for (let i = 0; i + n <= said.length; i++) {
    let same = true;
    for (let k = 0; k < n && same; k++) same = said[i + k] === tail[k];
    if (same) return true;
  }
  return false;
}
