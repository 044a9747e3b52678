/**
 * Picking the next token from a row of logits: greedy, or top-k / top-p (nucleus) sampling with
 * a temperature, from a seeded generator (pure-rand) so a run can be replayed exactly.
 */
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';

export interface SamplingOptions {
  /** 0 = greedy (the default). */
  temperature: number;
  /** Keep the k most likely tokens; 0 = no limit. */
  topK: number;
  /** Keep the smallest set of tokens whose probability reaches p; 1 = no limit. */
  topP: number;
  /** Seed of the generator; each conversation draws from its own. */
  seed: number;
}

export const GREEDY: SamplingOptions = { temperature: 0, topK: 0, topP: 1, seed: 0 };

export type Sampler = (logits: Float32Array) => number;

export function argmax(logits: Float32Array): number {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
  return best;
}

export function createSampler(options: SamplingOptions): Sampler {
  if (options.temperature <= 0) return argmax;
  const rng = xoroshiro128plus(options.seed);
  return (logits) => {
    const order = Array.from(logits.keys()).sort((a, b) => logits[b] - logits[a]);
    const k = options.topK > 0 ? Math.min(options.topK, order.length) : order.length;
    const top = logits[order[0]];
    const weights: number[] = [];
    let sum = 0;
    for (let i = 0; i < k; i++) {
      const w = Math.exp((logits[order[i]] - top) / options.temperature);
      weights.push(w);
      sum += w;
    }
    // nucleus: the shortest prefix of the sorted tokens whose mass reaches topP
    let keep = weights.length;
    if (options.topP < 1) {
      let mass = 0;
      for (let i = 0; i < weights.length; i++) {
        mass += weights[i] / sum;
        if (mass >= options.topP) {
          keep = i + 1;
          break;
        }
      }
    }
    let total = 0;
    for (let i = 0; i < keep; i++) total += weights[i];
    let r = uniformFloat64(rng) * total;
    for (let i = 0; i < keep; i++) {
      r -= weights[i];
      if (r < 0) return order[i];
    }
    return order[keep - 1];
  };
}

/** VALL-E 2's repetition-aware sampling (Chen et al., 2024): window K = 10, threshold t_r = 0.1. */
export interface RepetitionAwareOptions {
  /** Tokens of the stream's history looked at. Default 10. */
  window: number;
  /** Largest share of the window the sampled token may already hold. Default 0.1. */
  threshold: number;
}

export const VALLE2_REPETITION: RepetitionAwareOptions = { window: 10, threshold: 0.1 };

/** A sampler that also sees what its stream emitted before (oldest first). */
export type HistorySampler = (logits: Float32Array, history: readonly number[]) => number;

/**
 * Sample with `nucleus`; if the token drawn already makes up more than `threshold` of the
 * last `window` tokens of the stream, draw again from the full distribution (`full`, plain
 * sampling with the temperature), which breaks the loops a codec LM falls into on silence and
 * long vowels while leaving ordinary repetition alone.
 */
export function repetitionAwareSampler(
  nucleus: Sampler,
  full: Sampler,
  options: RepetitionAwareOptions = VALLE2_REPETITION,
): HistorySampler {
  return (logits, history) => {
    const token = nucleus(logits);
    const recent = history.slice(Math.max(0, history.length - options.window));
    let same = 0;
    for (const t of recent) if (t === token) same++;
    return same / options.window > options.threshold ? full(logits) : token;
  };
}
