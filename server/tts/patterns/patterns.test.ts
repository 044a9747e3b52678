import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type PatternSpec,
  type Plan,
  PatternError,
  build,
  completeFrames,
  passOf,
  plan,
  revert,
  scheduledFrame,
} from './patterns.ts';

const EMPTY = -1;
const SPECS: PatternSpec[] = [
  { kind: 'parallel' },
  { kind: 'flat' },
  { kind: 'stack' },
  { kind: 'coarse-first' },
  { kind: 'delay' },
  { kind: 'stack-delay' },
  { kind: 'stack-delay', schedule: [0, 2, 4, 1, 3, 5] },
  { kind: 'stack-delay', schedule: [1, 0] },
];

/** Distinct tokens k * 1000 + t, so that any misplaced cell shows. */
const grid = (K: number, T: number) =>
  Array.from({ length: K }, (_, k) => Array.from({ length: T }, (_, t) => k * 1000 + t));

describe('codebook patterns', () => {
  it('revert(build(x)) == x for every pattern, K 1..8 and T 0..13, and every cell is decoded exactly once', () => {
    for (const spec of SPECS) {
      for (let K = 1; K <= 8; K++) {
        for (let T = 0; T <= 13; T++) {
          const p = plan(spec, K, T);
          const x = grid(K, T);
          expect(revert(p, build(p, x, EMPTY)), `${spec.kind} K=${K} T=${T}`).toEqual(x);
          const cells = p.passes.flat().filter((c) => c !== null);
          expect(cells).toHaveLength(K * T);
          expect(new Set(cells.map((c) => `${c!.frame},${c!.codebook}`)).size).toBe(K * T);
        }
      }
    }
  });

  it('holds for random tokens, delays and schedules (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 0, max: 40 }),
        fc
          .integer({ min: 1, max: 8 })
          .chain((n) => fc.shuffledSubarray([...Array(n).keys()], { minLength: n, maxLength: n })),
        fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 9, maxLength: 9 }),
        fc.integer(),
        (K, T, schedule, delays, seed) => {
          const x = Array.from({ length: K }, (_, k) =>
            Array.from({ length: T }, (_, t) => Math.abs((seed + k * 7919 + t * 104729) % 1024)),
          );
          for (const spec of [
            ...SPECS,
            { kind: 'stack-delay', schedule } as const,
            { kind: 'delay', delays: delays.slice(0, K) } as const,
          ]) {
            const p = plan(spec, K, T);
            expect(revert(p, build(p, x, EMPTY))).toEqual(x);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('counts passes as the literature does: flat K*T, delay and stack-delay T+K-1, parallel T', () => {
    const [K, T] = [4, 10];
    expect(plan({ kind: 'flat' }, K, T).passes).toHaveLength(K * T);
    expect(plan({ kind: 'stack' }, K, T).passes).toHaveLength(K * T);
    expect(plan({ kind: 'delay' }, K, T).passes).toHaveLength(T + K - 1);
    expect(plan({ kind: 'stack-delay' }, K, T).passes).toHaveLength(T + K - 1);
    expect(plan({ kind: 'parallel' }, K, T).passes).toHaveLength(T);
    expect(plan({ kind: 'coarse-first' }, K, T).passes).toHaveLength(T + K - 1);
    expect(plan({ kind: 'delay', delays: [0, 2, 2, 5] }, K, T).passes).toHaveLength(T + 5);
  });

  it('decodes every frame coarse to fine, and delay shifts codebook k by k passes', () => {
    for (const spec of SPECS) {
      const at = passOf(plan(spec, 5, 12));
      for (let t = 0; t < 12; t++)
        for (let k = 1; k < 5; k++)
          expect(at[k][t]).toBeGreaterThanOrEqual(at[k - 1][t] + (spec.kind === 'parallel' ? 0 : 1));
    }
    const d = passOf(plan({ kind: 'delay' }, 3, 4));
    expect(d).toEqual([
      [0, 1, 2, 3],
      [1, 2, 3, 4],
      [2, 3, 4, 5],
    ]);
  });

  it('stack-delay with the identity schedule is the delay order; an interleaved one visits even frames of a block first', () => {
    expect(passOf(plan({ kind: 'stack-delay' }, 4, 9))).toEqual(passOf(plan({ kind: 'delay' }, 4, 9)));
    const p = plan({ kind: 'stack-delay', schedule: [0, 2, 4, 1, 3, 5] }, 3, 8);
    // Stream 0 (the coarse level) visits 0, 2, 4, 1, 3, 5 and then the last partial block's 6, 7.
    expect(p.passes.map((pass) => pass[0]?.frame ?? null)).toEqual([0, 2, 4, 1, 3, 5, 6, 7, null, null]);
    // Pass 3: stream 0 on frame 1 level 0, stream 1 on frame 4 level 1, stream 2 on frame 2 level 2.
    expect(p.passes[3]).toEqual([
      { frame: 1, codebook: 0 },
      { frame: 4, codebook: 1 },
      { frame: 2, codebook: 2 },
    ]);
    expect(scheduledFrame([0, 2, 4, 1, 3, 5], 8, 6)).toBe(6);
    expect(scheduledFrame([1, 0], 3, 2)).toBe(2); // a partial block of one frame
  });

  it('says after which pass each leading frame can go to the codec decoder', () => {
    expect(completeFrames(plan({ kind: 'delay' }, 3, 4))).toEqual([0, 0, 1, 2, 3, 4]);
    expect(completeFrames(plan({ kind: 'flat' }, 2, 2))).toEqual([0, 1, 1, 2]);
    expect(completeFrames(plan({ kind: 'coarse-first' }, 2, 3))).toEqual([0, 0, 0, 3]);
    // Interleaved: frame 1 waits for its turn (pass 3) plus K - 1 passes of its finer levels.
    const inter = completeFrames(plan({ kind: 'stack-delay', schedule: [0, 2, 4, 1, 3, 5] }, 2, 6));
    expect(inter.findIndex((n) => n >= 1)).toBe(1);
    expect(inter.findIndex((n) => n >= 2)).toBe(4);
  });

  it('refuses bad shapes, delays and schedules with pattern_invalid', () => {
    expect(() => plan({ kind: 'stack-delay', schedule: [0, 0, 1] }, 2, 3)).toThrow(PatternError);
    expect(() => plan({ kind: 'delay', delays: [0, 1] }, 3, 3)).toThrow(/delays/);
    expect(() => plan({ kind: 'flat' }, 0, 3)).toThrow(/K = 0/);
    const p = plan({ kind: 'parallel' }, 2, 2);
    expect(() => build(p, grid(3, 2), EMPTY)).toThrow(/codes are not/);
    expect(() => revert(p, [[1, 2]])).toThrow(/passes given/);
  });

  it('gives the same plans as the Python twin that trains the codec LM (models/training/codec_lm/patterns.py)', () => {
    const committed = JSON.parse(
      readFileSync(new URL('./testdata/plans.json', import.meta.url), 'utf8'),
    ) as Plan[];
    for (const want of committed) {
      const got = plan(want.spec, want.codebooks, want.frames);
      expect(got.passes, JSON.stringify(want.spec)).toEqual(want.passes);
    }
  });
});
