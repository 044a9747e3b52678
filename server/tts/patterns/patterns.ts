/**
 * Codebook patterns: the order in which a codec LM writes the K x T tokens of an utterance
 * (../shared/design/ARCHITECTURE.md, "Codebook patterns"; docs/tts.md). Pure functions:
 * a pattern is a plan of passes, each pass a row of streams, each stream the (frame,
 * codebook) cell it decodes in that pass or null (an empty slot). `build` lays an
 * utterance's tokens out along a plan, `revert` reads them back; revert(build(x)) == x for
 * every pattern, K and T (tested exhaustively and by property).
 *
 * - parallel: all K codebooks of frame t in pass t; T passes.
 * - delay (MusicGen): codebook k shifted by delays[k] passes (default k); T + max delay passes.
 * - flat: one token a pass, frame by frame, coarse to fine; K*T passes.
 * - coarse-first (VALL-E): codebook 0 one frame a pass, then each finer codebook for every
 *   frame in one pass; T + K - 1 passes of varying width.
 * - stack: the flat order, decoded from stacks (the model's input at (t, d) is the sum of the
 *   embeddings of levels 0..d-1 of frame t; only full stacks stay in the long-term cache).
 *   The same plan as flat; the model differs, not the order.
 * - stack-delay (Le Lan et al., 2023, reconstructed): K streams; in pass s, stream d decodes
 *   level d of the frame the schedule puts at position s - d. The schedule is a permutation of
 *   frames applied block by block (identity: the delay order; [0, 2, 4, 1, 3, 5]: frames of
 *   a 6-frame block visited even first, so that neighbours are not decoded prematurely).
 *   T + K - 1 passes, up to K tokens each.
 */

/** A (frame, codebook) cell of the [K, T] token grid. */
export interface Cell {
  readonly frame: number;
  readonly codebook: number;
}

export const PATTERN_KINDS = ['parallel', 'delay', 'flat', 'coarse-first', 'stack', 'stack-delay'] as const;
export type PatternKind = (typeof PATTERN_KINDS)[number];

export type PatternSpec =
  | { kind: 'parallel' | 'flat' | 'coarse-first' | 'stack' }
  /** delays[k]: passes codebook k lags behind codebook 0's frame; default [0, 1, ..., K-1]. */
  | { kind: 'delay'; delays?: readonly number[] }
  /** schedule: the order frames are visited within each block of schedule.length frames; default identity. */
  | { kind: 'stack-delay'; schedule?: readonly number[] };

/** Which cell each stream decodes in each pass. */
export interface Plan {
  readonly spec: PatternSpec;
  readonly codebooks: number;
  readonly frames: number;
  /** passes[p][s]: the cell stream s decodes in pass p, or null. */
  readonly passes: readonly (readonly (Cell | null)[])[];
}

export class PatternError extends Error {
  constructor(detail: string) {
    super(`pattern_invalid: ${detail}`);
    this.name = 'PatternError';
  }
}

function checkPermutation(schedule: readonly number[]): void {
  const seen = new Set(schedule);
  if (
    schedule.length === 0 ||
    seen.size !== schedule.length ||
    schedule.some((v) => !Number.isInteger(v) || v < 0 || v >= schedule.length)
  ) {
    throw new PatternError(
      `schedule [${schedule.join(', ')}] is not a permutation of 0..${schedule.length - 1}`,
    );
  }
}

/**
 * Frame visited at position i of a block-wise schedule over T frames. A last, partial block
 * keeps the schedule's relative order among the frames it has.
 */
export function scheduledFrame(schedule: readonly number[], frames: number, i: number): number {
  const n = schedule.length;
  const block = Math.floor(i / n);
  const start = block * n;
  const size = Math.min(n, frames - start);
  if (size === n) return start + schedule[i - start];
  const order = schedule.filter((v) => v < size);
  return start + order[i - start];
}

/** The plan of a pattern for K codebooks and T frames. */
export function plan(spec: PatternSpec, codebooks: number, frames: number): Plan {
  const K = codebooks;
  const T = frames;
  if (!Number.isInteger(K) || K < 1 || !Number.isInteger(T) || T < 0) {
    throw new PatternError(`K = ${K}, T = ${T}: need K >= 1 and T >= 0 integers`);
  }
  const passes: (Cell | null)[][] = [];
  switch (spec.kind) {
    case 'parallel':
      for (let t = 0; t < T; t++)
        passes.push(Array.from({ length: K }, (_, k) => ({ frame: t, codebook: k })));
      break;
    case 'flat':
    case 'stack':
      for (let t = 0; t < T; t++) for (let k = 0; k < K; k++) passes.push([{ frame: t, codebook: k }]);
      break;
    case 'delay': {
      const delays = spec.delays ?? Array.from({ length: K }, (_, k) => k);
      if (delays.length !== K || delays.some((d) => !Number.isInteger(d) || d < 0)) {
        throw new PatternError(`delays [${delays.join(', ')}] must be K = ${K} non-negative integers`);
      }
      const span = T === 0 ? 0 : T + Math.max(...delays);
      for (let s = 0; s < span; s++) {
        passes.push(delays.map((d, k) => (s - d >= 0 && s - d < T ? { frame: s - d, codebook: k } : null)));
      }
      break;
    }
    case 'coarse-first':
      for (let t = 0; t < T; t++) passes.push([{ frame: t, codebook: 0 }]);
      if (T > 0)
        for (let k = 1; k < K; k++)
          passes.push(Array.from({ length: T }, (_, t) => ({ frame: t, codebook: k })));
      break;
    case 'stack-delay': {
      const schedule = spec.schedule ?? [0];
      checkPermutation(schedule);
      const span = T === 0 ? 0 : T + K - 1;
      for (let s = 0; s < span; s++) {
        passes.push(
          Array.from({ length: K }, (_, d) =>
            s - d >= 0 && s - d < T ? { frame: scheduledFrame(schedule, T, s - d), codebook: d } : null,
          ),
        );
      }
      break;
    }
    default:
      throw new PatternError(`unknown pattern ${(spec as { kind: string }).kind}`);
  }
  return { spec, codebooks: K, frames: T, passes };
}

/** Tokens laid out along the plan: tokens[p][s] is codes[k][t] of passes[p][s], or `empty`. */
export function build(p: Plan, codes: readonly (readonly number[])[], empty: number): number[][] {
  if (codes.length !== p.codebooks || codes.some((row) => row.length !== p.frames)) {
    throw new PatternError(`codes are not [${p.codebooks}, ${p.frames}]`);
  }
  return p.passes.map((pass) => pass.map((c) => (c ? codes[c.codebook][c.frame] : empty)));
}

/** The [K, T] tokens back from a build of the plan (empty slots ignored). */
export function revert(p: Plan, tokens: readonly (readonly number[])[]): number[][] {
  if (tokens.length !== p.passes.length)
    throw new PatternError(`${tokens.length} passes given, the plan has ${p.passes.length}`);
  const codes = Array.from({ length: p.codebooks }, () => new Array<number>(p.frames).fill(Number.NaN));
  p.passes.forEach((pass, i) => {
    if (tokens[i].length !== pass.length)
      throw new PatternError(`pass ${i} has ${tokens[i].length} tokens, the plan ${pass.length}`);
    pass.forEach((c, s) => {
      if (c) codes[c.codebook][c.frame] = tokens[i][s];
    });
  });
  return codes;
}

/**
 * For each pass, how many leading frames are complete (all K levels decoded) once it is
 * done: the synthesizer may hand frames 0..n-1 to the codec decoder after that pass.
 */
export function completeFrames(p: Plan): number[] {
  const left = new Array<number>(p.frames).fill(p.codebooks);
  let done = 0;
  return p.passes.map((pass) => {
    for (const c of pass) if (c) left[c.frame]--;
    while (done < p.frames && left[done] === 0) done++;
    return done;
  });
}

/** The pass in which each cell is decoded: at[k][t]. */
export function passOf(p: Plan): number[][] {
  const at = Array.from({ length: p.codebooks }, () => new Array<number>(p.frames).fill(-1));
  p.passes.forEach((pass, i) => pass.forEach((c) => c && (at[c.codebook][c.frame] = i)));
  return at;
}
