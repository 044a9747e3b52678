/**
 * One conversation's run of an Optimum-layout decoder (input_ids, attention_mask, position_ids,
 * past_key_values.N.key/value -> logits, present.N.key/value): the KV cache is carried between
 * calls, so each call feeds only the new tokens. Works for banter's TDM model and for decoders a
 * user brings (Qwen2.5, SmolLM2, Llama exports), whose graphs may omit position_ids.
 */
import ort from 'onnxruntime-node';

export interface DecoderShape {
  layers: number;
  /** Key/value heads (fewer than attention heads in grouped-query models). */
  kvHeads: number;
  headDim: number;
  vocab: number;
  /** Longest stream the model was trained for (learned positions). */
  maxPositions: number;
}

const int64 = (values: ArrayLike<number>, dims: number[]) =>
  new ort.Tensor('int64', BigInt64Array.from(Array.from(values, (v) => BigInt(v))), dims);

export class KvDecoder {
  private past: ort.Tensor[];
  private length = 0;
  private readonly usesPositions: boolean;

  constructor(
    private readonly session: ort.InferenceSession,
    readonly shape: DecoderShape,
  ) {
    this.usesPositions = session.inputNames.includes('position_ids');
    this.past = this.emptyPast();
  }

  /** Tokens in the cache. */
  get size(): number {
    return this.length;
  }

  private emptyPast(): ort.Tensor[] {
    const { layers, kvHeads, headDim } = this.shape;
    const out: ort.Tensor[] = [];
    for (let i = 0; i < layers * 2; i++)
      out.push(new ort.Tensor('float32', new Float32Array(0), [1, kvHeads, 0, headDim]));
    return out;
  }

  /** Feeds `ids` after the cache and returns the logits of the last one. */
  async feed(ids: readonly number[]): Promise<Float32Array> {
    if (ids.length === 0) throw new Error('KvDecoder.feed needs at least one token');
    const n = ids.length;
    const total = this.length + n;
    const feeds: Record<string, ort.Tensor> = {
      input_ids: int64(ids, [1, n]),
      attention_mask: int64(new Array<number>(total).fill(1), [1, total]),
    };
    if (this.usesPositions)
      feeds.position_ids = int64(
        Array.from({ length: n }, (_, i) => this.length + i),
        [1, n],
      );
    for (let i = 0; i < this.shape.layers; i++) {
      feeds[`past_key_values.${i}.key`] = this.past[2 * i];
      feeds[`past_key_values.${i}.value`] = this.past[2 * i + 1];
    }
    const out = await this.session.run(feeds);
    for (let i = 0; i < this.shape.layers; i++) {
      this.past[2 * i] = out[`present.${i}.key`];
      this.past[2 * i + 1] = out[`present.${i}.value`];
    }
    this.length = total;
    const logits = out.logits;
    const v = this.shape.vocab;
    const data = logits.data as Float32Array;
    return data.slice(data.length - v);
  }

  /** Keeps the first `n` tokens of the cache (a rollback: what follows is fed again). */
  truncate(n: number): void {
    if (n >= this.length) return;
    if (n <= 0) return this.reset();
    const { kvHeads, headDim } = this.shape;
    this.past = this.past.map((t) => {
      const src = t.data as Float32Array;
      const dst = new Float32Array(kvHeads * n * headDim);
      for (let h = 0; h < kvHeads; h++)
        dst.set(
          src.subarray(h * this.length * headDim, h * this.length * headDim + n * headDim),
          h * n * headDim,
        );
      return new ort.Tensor('float32', dst, [1, kvHeads, n, headDim]);
    });
    this.length = n;
  }

  reset(): void {
    this.past = this.emptyPast();
    this.length = 0;
  }
}
