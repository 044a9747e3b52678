/**
 * The codec LM behind the step contract `codec-lm-step/1` (models/training/codec_lm/model.py,
 * StepGraph): one graph for every pattern. A pass sends the new positions (rows of input ids,
 * positions, depth), a mask among them, how many go into the long-term cache, and the cache;
 * it gets per-head logits, word-progress logits and the cache back.
 *
 * `CodecLmDecoder` walks a pattern's plan (../patterns/patterns.ts) pass by pass, the twin of
 * models/training/codec_lm/runner.py (the parity test feeds known tokens and compares logits
 * with PyTorch's): flat and delay send one cached position a pass; stack-delay sends the stack
 * of the frame the last pass completed (cached) and one query per stream (not cached).
 * Frames come out as soon as they and every earlier frame are complete. A decoder is a value
 * the caller may stop pulling from at any pass and resume later: all its state is in it.
 */
import ort from 'onnxruntime-node';
import { z } from 'zod';
import { type LoadedModel, ModelError, type ModelRegistry, parseSection } from '../../models/registry.ts';
import { type Cell, type Plan, completeFrames, plan } from '../patterns/patterns.ts';
import type { CodeFrames } from '../codec/codec.ts';

export const CODEC_LM_CONTRACTS = ['codec-lm-step/1'] as const;

export const CodecLmSection = z.strictObject({
  contract: z.enum(CODEC_LM_CONTRACTS),
  pattern: z.enum(['flat', 'delay', 'stack-delay']),
  schedule: z.array(z.number().int().nonnegative()).min(1).default([0]),
  codebooks: z.number().int().positive(),
  codebook_size: z.number().int().positive(),
  tokens: z.strictObject({ empty: z.number().int(), eos: z.number().int(), bos: z.number().int() }),
  layers: z.number().int().positive(),
  heads: z.number().int().positive(),
  head_dim: z.number().int().positive(),
  max_positions: z.number().int().positive(),
  max_words: z.number().int().positive(),
  /** Phoneme vocabulary: id -> symbol (IPA character, " " between words, punctuation). */
  phonemes: z.array(z.string()).min(1),
  /** The codec whose tokens it writes: name and frame rate (checked against the codec at load by the synthesizer). */
  codec: z.looseObject({ name: z.string(), frames_per_second: z.number().positive() }),
});
export type CodecLmSection = z.infer<typeof CodecLmSection>;

/** One pass's new positions, as the graph takes them. */
export interface LmPass {
  rows: number[][];
  positions: number[];
  depth: number[];
  passMask: number[][];
  nCache: number;
  /** (row, head, cell) decoded by this pass. */
  decodes: { row: number; head: number; frame: number; level: number }[];
}

export interface LmStepOutput {
  /** logits[row][head]: head_vocab values. */
  logits(row: number, head: number): Float32Array;
  /** Word-progress logits of a row. */
  words(row: number): Float32Array;
}

export class CodecLmModel {
  readonly section: CodecLmSection;
  readonly label: string;

  constructor(private readonly model: LoadedModel) {
    this.section = parseSection(model.manifest, 'codec_lm', CodecLmSection, model.dir);
    this.label = `${model.manifest.name}@${model.manifest.version}`;
    const s = this.section;
    const past = model.manifest.inputs.filter((t) => t.name.startsWith('past.'));
    if (past.length !== 2 * s.layers) {
      throw new ModelError(
        'model_mismatch',
        model.dir,
        `${past.length} past.* inputs, codec_lm.layers is ${s.layers}`,
      );
    }
    if (s.tokens.empty !== s.codebook_size) {
      throw new ModelError(
        'model_mismatch',
        model.dir,
        `tokens.empty must be codebook_size (${s.codebook_size}), the codec's "no token"`,
      );
    }
    try {
      lmPlan(s, 1); // a schedule that is no permutation is refused here, not mid-call
    } catch (err) {
      throw new ModelError('model_mismatch', model.dir, (err as Error).message, { cause: err });
    }
    const rows = model.manifest.inputs.find((t) => t.name === 'inputs');
    const width = rows?.shape[2];
    if (!rows || (typeof width === 'number' && width !== s.codebooks + 1)) {
      throw new ModelError('model_mismatch', model.dir, `"inputs" must be [batch, n, ${s.codebooks + 1}]`);
    }
  }

  emptyCache(): ort.Tensor[] {
    const s = this.section;
    return Array.from(
      { length: 2 * s.layers },
      () => new ort.Tensor('float32', new Float32Array(0), [1, s.heads, 0, s.head_dim]),
    );
  }

  async step(p: LmPass, cache: ort.Tensor[]): Promise<{ out: LmStepOutput; cache: ort.Tensor[] }> {
    const s = this.section;
    const n = p.rows.length;
    const w = s.codebooks + 1;
    const big = (xs: number[]) => BigInt64Array.from(xs, (x) => BigInt(x));
    const feeds: Record<string, ort.Tensor> = {
      inputs: new ort.Tensor('int64', big(p.rows.flat()), [1, n, w]),
      positions: new ort.Tensor('int64', big(p.positions), [1, n]),
      depth: new ort.Tensor('int64', big(p.depth), [1, n]),
      pass_mask: new ort.Tensor('int64', big(p.passMask.flat()), [1, n, n]),
      n_cache: new ort.Tensor('int64', big([p.nCache]), []),
    };
    for (let i = 0; i < s.layers; i++) {
      feeds[`past.${i}.key`] = cache[2 * i];
      feeds[`past.${i}.value`] = cache[2 * i + 1];
    }
    const r = await this.model.session.run(feeds);
    const logits = r.logits.data as Float32Array;
    const words = r.words.data as Float32Array;
    const V = r.logits.dims[3];
    const K = s.codebooks;
    const W = r.words.dims[2];
    const next: ort.Tensor[] = [];
    for (let i = 0; i < s.layers; i++) next.push(r[`present.${i}.key`], r[`present.${i}.value`]);
    return {
      out: {
        logits: (row, head) => logits.subarray((row * K + head) * V, (row * K + head + 1) * V),
        words: (row) => words.subarray(row * W, (row + 1) * W),
      },
      cache: next,
    };
  }
}

/** Load (once per folder and registry) a codec LM folder. */
export async function loadCodecLm(dir: string, registry: ModelRegistry): Promise<CodecLmModel> {
  return new CodecLmModel(await registry.load(dir, 'codec-lm'));
}

/** The pattern plan a decoder walks, over at most `frames` frames (the EOS frame included). */
export function lmPlan(s: CodecLmSection, frames: number): Plan {
  if (s.pattern === 'stack-delay')
    return plan({ kind: 'stack-delay', schedule: s.schedule }, s.codebooks, frames);
  return plan({ kind: s.pattern }, s.codebooks, frames);
}

/** The rows of the phoneme prompt (stack-delay also caches the BOS position here). */
export function promptPass(s: CodecLmSection, phonemes: readonly number[]): LmPass {
  const K = s.codebooks;
  const rows = phonemes.map((p) => [p, ...new Array<number>(K).fill(s.tokens.empty)]);
  if (s.pattern === 'stack-delay')
    rows.push([-1, s.tokens.bos, ...new Array<number>(K - 1).fill(s.tokens.empty)]);
  const n = rows.length;
  return {
    rows,
    positions: rows.map((_, i) => i),
    depth: new Array<number>(n).fill(0),
    passMask: rows.map((_, i) => rows.map((__, j) => Number(j <= i))),
    nCache: n,
    decodes: [],
  };
}

/** Tokens decoded so far: known(frame, level) or undefined. */
export type Known = (frame: number, level: number) => number | undefined;

/**
 * Pass s of a plan, after a prompt of `prompt` phonemes. `end`: the EOS frame once known;
 * frames after it do not exist (as in training, where the plan covers the EOS frame and no
 * more), so their cells are left out of the pass.
 */
export function audioPass(
  s: CodecLmSection,
  prompt: number,
  p: Plan,
  pass: number,
  known: Known,
  end: number | null = null,
): LmPass {
  const K = s.codebooks;
  const P = prompt + 1;
  const { empty, bos } = s.tokens;
  const live = (c: Cell | null): Cell | null => (c && (end === null || c.frame <= end) ? c : null);
  const cells = (i: number) => p.passes[i].map(live);
  const get = (f: number, k: number) => {
    const v = known(f, k);
    if (v === undefined) throw new Error(`token (${f}, ${k}) needed before it was decoded`);
    return v;
  };
  const bosRow = [-1, bos, ...new Array<number>(K - 1).fill(empty)];
  if (s.pattern === 'flat' || s.pattern === 'delay') {
    let row: number[];
    if (pass === 0) row = bosRow;
    else {
      row = [-1, ...new Array<number>(K).fill(empty)];
      for (const c of cells(pass - 1)) if (c) row[1 + c.codebook] = get(c.frame, c.codebook);
    }
    const decodes = cells(pass).flatMap((c, stream) =>
      c
        ? [{ row: 0, head: s.pattern === 'flat' ? c.codebook : stream, frame: c.frame, level: c.codebook }]
        : [],
    );
    const depth = s.pattern === 'flat' ? 1 + p.passes[pass][0]!.codebook : 0;
    return { rows: [row], positions: [P - 1 + pass], depth: [depth], passMask: [[1]], nCache: 1, decodes };
  }
  const rows: number[][] = [];
  const positions: number[] = [];
  const depth: number[] = [];
  const decodes: LmPass['decodes'] = [];
  let nStack = 0;
  const completed = pass > 0 ? cells(pass - 1)[K - 1] : null;
  if (completed) {
    const f = completed.frame;
    rows.push([-1, ...Array.from({ length: K }, (_, k) => get(f, k))]);
    positions.push(P + f);
    depth.push(0);
    nStack = 1;
  }
  cells(pass).forEach((c, d) => {
    if (!c) return;
    rows.push([-1, ...Array.from({ length: K }, (_, k) => (k < d ? get(c.frame, k) : empty))]);
    positions.push(P + c.frame);
    depth.push(1 + d);
    decodes.push({ row: rows.length - 1, head: d, frame: c.frame, level: d });
  });
  const passMask = rows.map((_, i) =>
    rows.map((__, j) => Number(i === j || j < nStack || (i >= nStack && j >= nStack))),
  );
  return { rows, positions, depth, passMask, nCache: nStack, decodes };
}

/** Tokens of frames 0..n-1 as [K, n] codec frames. */
export function framesOf(known: Known, K: number, from: number, to: number): CodeFrames {
  const frames = to - from;
  const data = new Int32Array(K * frames);
  for (let k = 0; k < K; k++)
    for (let t = from; t < to; t++) data[k * frames + (t - from)] = known(t, k) ?? 0;
  return { codebooks: K, frames, data };
}

/** How a decoder picks tokens. */
export interface LmSampling {
  /** Per head (codebook): a sampler that sees the stream's earlier tokens (repetition-aware or plain). */
  pick(head: number, logits: Float32Array, history: readonly number[]): number;
}

/** What one pull of a decoder gives. */
export interface LmChunk {
  /** Frames newly complete, in order, starting at frame `from`. */
  readonly from: number;
  readonly frames: CodeFrames;
  /** Per new frame: how many words have begun (the word-progress head's argmax). */
  readonly wordsBegun: number[];
  /** The utterance ended (EOS, or the frame limit): nothing more will come. */
  readonly done: boolean;
  /** Passes run for this chunk. */
  readonly passes: number;
}

/**
 * Decodes one utterance pass by pass. `next()` runs passes until at least one more frame is
 * complete (or the utterance ends) and returns those frames: pull as fast as the audio is
 * needed, stop pulling to pause (everything stays in the decoder), drop it to stop.
 */
export class CodecLmDecoder {
  private readonly known = new Map<number, number>();
  private readonly history: number[][];
  private readonly words: number[] = [];
  private readonly p: Plan;
  private readonly complete: number[];
  private cache: ort.Tensor[] | null = null;
  private pass = 0;
  private emitted = 0;
  private end: number | null = null;
  private finished = false;

  constructor(
    private readonly lm: CodecLmModel,
    private readonly phonemes: readonly number[],
    private readonly sampling: LmSampling,
    /** Longest utterance, frames (the frame limit ends it without EOS). */
    readonly maxFrames: number,
  ) {
    const s = lm.section;
    if (maxFrames < 1 || maxFrames > CodecLmDecoder.capacity(lm, phonemes.length)) {
      throw new ModelError(
        'model_mismatch',
        lm.label,
        `${maxFrames} frames after ${phonemes.length} phonemes exceed max_positions ${s.max_positions}`,
      );
    }
    this.p = lmPlan(s, maxFrames);
    this.complete = completeFrames(this.p);
    this.history = Array.from({ length: s.codebooks }, () => []);
  }

  /** The most frames an utterance after `prompt` phonemes can have within the LM's positions. */
  static capacity(lm: CodecLmModel, prompt: number): number {
    const s = lm.section;
    const room = s.max_positions - prompt - 2;
    // flat: a position per token; delay: a pass per frame plus K - 1; stack-delay: a position per frame.
    if (s.pattern === 'flat') return Math.max(0, Math.floor(room / s.codebooks));
    if (s.pattern === 'delay') return Math.max(0, room - (s.codebooks - 1));
    return Math.max(0, room);
  }

  private get(frame: number, level: number): number | undefined {
    return this.known.get(frame * this.lm.section.codebooks + level);
  }

  get done(): boolean {
    return this.finished;
  }

  /** Runs passes until a frame is complete; `signal` stops it between passes. */
  async next(signal?: AbortSignal): Promise<LmChunk> {
    const s = this.lm.section;
    const K = s.codebooks;
    const from = this.emitted;
    const start = this.pass;
    if (this.finished)
      return { from, frames: framesOf(() => 0, K, from, from), wordsBegun: [], done: true, passes: 0 };
    if (!this.cache)
      this.cache = (await this.lm.step(promptPass(s, this.phonemes), this.lm.emptyCache())).cache;
    const known: Known = (f, k) => this.get(f, k);
    let ready = this.emitted;
    while (this.pass < this.p.passes.length) {
      if (signal?.aborted) break;
      const lp = audioPass(s, this.phonemes.length, this.p, this.pass, known, this.end);
      const r = await this.lm.step(lp, this.cache);
      this.cache = r.cache;
      for (const d of lp.decodes) {
        let token: number;
        if (this.end !== null && d.frame >= this.end) token = d.level === 0 ? s.tokens.eos : s.tokens.empty;
        else {
          const logits = r.out.logits(d.row, d.head);
          // Level 0 may end the utterance (EOS), never write "no token"; the finer levels only write codes.
          let choice = logits.subarray(0, s.codebook_size);
          if (d.level === 0) {
            choice = Float32Array.from(logits);
            choice[s.tokens.empty] = Number.NEGATIVE_INFINITY;
          }
          token = this.sampling.pick(d.head, choice, this.history[d.head]);
          if (token === s.tokens.eos && d.level !== 0) token = 0;
          if (token >= s.codebook_size && token !== s.tokens.eos) token = 0;
          this.history[d.head].push(token);
          if (d.level === 0 && token === s.tokens.eos) this.end = Math.min(this.end ?? d.frame, d.frame);
          if (d.level === 0) this.words[d.frame] = argmaxOf(r.out.words(d.row));
        }
        this.known.set(d.frame * K + d.level, token);
      }
      this.pass++;
      ready = Math.min(this.complete[this.pass - 1], this.end ?? Infinity);
      const over = this.end !== null && ready >= this.end;
      if (ready > this.emitted || over) {
        if (over || this.pass >= this.p.passes.length) this.finished = true;
        break;
      }
    }
    if (this.pass >= this.p.passes.length) this.finished = true;
    const to = Math.min(ready, this.end ?? Infinity);
    this.emitted = Math.max(this.emitted, to);
    return {
      from,
      frames: framesOf(known, K, from, this.emitted),
      wordsBegun: this.words.slice(from, this.emitted).map((w) => w ?? 0),
      done: this.finished,
      passes: this.pass - start,
    };
  }
}

function argmaxOf(x: Float32Array): number {
  let best = 0;
  for (let i = 1; i < x.length; i++) if (x[i] > x[best]) best = i;
  return best;
}
