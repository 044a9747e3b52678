import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ModelRegistry } from '../../models/registry.ts';
import {
  CodecLmDecoder,
  type LmChunk,
  type LmSampling,
  audioPass,
  loadCodecLm,
  lmPlan,
  promptPass,
} from './codec-lm.ts';

const registry = new ModelRegistry();
afterAll(() => registry.close());

interface Parity {
  tolerance: number;
  cases: {
    phonemes: number[];
    codes: number[][];
    cells: { frame: number; level: number; logits: number[] }[];
  }[];
}

describe.each(['flat', 'delay', 'stack-delay'])('the %s step graph (tiny random fixture)', (pattern) => {
  const dir = fileURLToPath(new URL(`./testdata/tiny-${pattern}/`, import.meta.url));
  const parity = JSON.parse(readFileSync(`${dir}parity.json`, 'utf8')) as Parity;

  it('decodes pass by pass to the logits PyTorch computed for every cell (teacher forcing)', async () => {
    const lm = await loadCodecLm(dir, registry);
    const s = lm.section;
    const { phonemes, codes, cells } = parity.cases[0];
    const T = codes[0].length + 1; // + the EOS frame
    const known = (f: number, k: number) =>
      f < T - 1 ? codes[k][f] : k === 0 ? s.tokens.eos : s.tokens.empty;
    // Planned over exactly the T frames, as training lays them out; and over more frames with
    // the EOS frame given as `end`, as inference runs once it has sampled EOS.
    const p = lmPlan(s, T);
    let cache = lm.emptyCache();
    for (const [frames, end] of [
      [T, null],
      [T + 7, T - 1],
    ] as const) {
      const plan = lmPlan(s, frames);
      cache = (await lm.step(promptPass(s, phonemes), lm.emptyCache())).cache;
      const got = new Map<string, Float32Array>();
      for (let pass = 0; pass < p.passes.length; pass++) {
        const lp = audioPass(s, phonemes.length, plan, pass, known, end);
        const r = await lm.step(lp, cache);
        cache = r.cache;
        for (const d of lp.decodes)
          got.set(`${d.frame},${d.level}`, Float32Array.from(r.out.logits(d.row, d.head)));
      }
      expect(got.size, `planned over ${frames}`).toBe(cells.length);
      for (const c of cells) {
        const mine = got.get(`${c.frame},${c.level}`)!;
        let worst = 0;
        for (let i = 0; i < c.logits.length; i++) worst = Math.max(worst, Math.abs(mine[i] - c.logits[i]));
        expect(worst, `cell ${c.frame},${c.level} planned over ${frames}`).toBeLessThan(parity.tolerance);
      }
    }
    // The cache holds exactly what the pattern keeps: every position (flat, delay) or prompt + stacks.
    const cached = cache[0].dims[2];
    const audio = pattern === 'stack-delay' ? T - 1 : p.passes.length;
    expect(cached).toBe(phonemes.length + (pattern === 'stack-delay' ? 1 : 0) + audio);
  });
});

describe.each(['flat', 'delay', 'stack-delay'])('CodecLmDecoder over the %s fixture', (pattern) => {
  const dir = fileURLToPath(new URL(`./testdata/tiny-${pattern}/`, import.meta.url));
  /** A scripted sampler: stream k writes f_k(n) for its n-th token; level 0 ends after `frames`. */
  const scripted = (frames: number, eos: number): LmSampling => ({
    pick: (head, _logits, history) =>
      head === 0 && history.length === frames ? eos : (history.length * (3 + 2 * head) + head + 1) % 64,
  });
  const expected = (K: number, frames: number) =>
    Array.from({ length: K }, (_, k) =>
      Array.from({ length: frames }, (_, n) => (n * (3 + 2 * k) + k + 1) % 64),
    );

  async function all(d: CodecLmDecoder) {
    const rows: number[][] = [];
    const chunks: LmChunk[] = [];
    for (;;) {
      const c = await d.next();
      chunks.push(c);
      for (let k = 0; k < c.frames.codebooks; k++) {
        rows[k] ??= [];
        rows[k].push(...c.frames.data.subarray(k * c.frames.frames, (k + 1) * c.frames.frames));
      }
      if (c.done) return { rows, chunks };
    }
  }

  it('emits the sampled frames in order, a frame as soon as it is complete, and ends at EOS', async () => {
    const lm = await loadCodecLm(dir, registry);
    const K = lm.section.codebooks;
    const d = new CodecLmDecoder(lm, [7, 8, 9], scripted(6, lm.section.tokens.eos), 40);
    const { rows, chunks } = await all(d);
    expect(rows).toEqual(expected(K, 6));
    let at = 0;
    for (const c of chunks) {
      expect(c.from).toBe(at);
      at += c.frames.frames;
    }
    // flat completes a frame every K passes; delay and stack-delay one a pass after the first K.
    const firstFrame = chunks.find((c) => c.frames.frames > 0)!;
    expect(chunks.slice(0, chunks.indexOf(firstFrame) + 1).reduce((n, c) => n + c.passes, 0)).toBe(K);
    expect(chunks.at(-1)!.done).toBe(true);
    expect(await d.next()).toMatchObject({ done: true, passes: 0 });
  });

  it('stops at the frame limit when no EOS comes', async () => {
    const lm = await loadCodecLm(dir, registry);
    const d = new CodecLmDecoder(lm, [7, 8], scripted(Number.POSITIVE_INFINITY, lm.section.tokens.eos), 9);
    const { rows } = await all(d);
    expect(rows[0]).toHaveLength(9);
  });

  it('refuses an utterance longer than its positions allow', async () => {
    const lm = await loadCodecLm(dir, registry);
    expect(() => new CodecLmDecoder(lm, [7], scripted(3, lm.section.tokens.eos), 100_000)).toThrow(
      /max_positions/,
    );
  });
});
