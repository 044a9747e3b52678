import { describe, expect, it } from 'vitest';
import { argmax, createSampler, repetitionAwareSampler, type Sampler } from './sampling.ts';

const logits = (...xs: number[]) => Float32Array.from(xs);

/** How often each token is drawn in n samples. */
function histogram(sampler: Sampler, l: Float32Array, n: number): number[] {
  const counts = new Array<number>(l.length).fill(0);
  for (let i = 0; i < n; i++) counts[sampler(l)]++;
  return counts.map((c) => c / n);
}

describe('sampling on scripted logits', () => {
  const l = logits(2, 1, 0, -1); // softmax: 0.644, 0.237, 0.087, 0.032

  it('temperature 0 is greedy', () => {
    expect(createSampler({ temperature: 0, topK: 0, topP: 1, seed: 1 })(l)).toBe(0);
    expect(argmax(logits(0, 3, 3, 1))).toBe(1); // the first of equal maxima
  });

  it('temperature 1 draws in proportion to softmax; higher flattens, lower sharpens', () => {
    const p1 = histogram(createSampler({ temperature: 1, topK: 0, topP: 1, seed: 7 }), l, 20000);
    [0.644, 0.237, 0.087, 0.032].forEach((want, i) => expect(p1[i]).toBeCloseTo(want, 1));
    const hot = histogram(createSampler({ temperature: 4, topK: 0, topP: 1, seed: 7 }), l, 20000);
    const cold = histogram(createSampler({ temperature: 0.25, topK: 0, topP: 1, seed: 7 }), l, 20000);
    expect(hot[3]).toBeGreaterThan(p1[3]);
    expect(cold[0]).toBeGreaterThan(0.97);
  });

  it('top-k keeps the k most likely; top-p the shortest prefix reaching p', () => {
    const k2 = histogram(createSampler({ temperature: 1, topK: 2, topP: 1, seed: 3 }), l, 5000);
    expect(k2[2] + k2[3]).toBe(0);
    expect(k2[0]).toBeCloseTo(0.644 / (0.644 + 0.237), 1);
    // p = 0.85: 0.644 + 0.237 = 0.881 reaches it, so tokens 2 and 3 are never drawn.
    const p85 = histogram(createSampler({ temperature: 1, topK: 0, topP: 0.85, seed: 3 }), l, 5000);
    expect(p85[2] + p85[3]).toBe(0);
    const p50 = histogram(createSampler({ temperature: 1, topK: 0, topP: 0.5, seed: 3 }), l, 500);
    expect(p50[0]).toBe(1);
  });

  it('a seed replays the same draws', () => {
    const a = createSampler({ temperature: 1, topK: 0, topP: 1, seed: 42 });
    const b = createSampler({ temperature: 1, topK: 0, topP: 1, seed: 42 });
    expect(Array.from({ length: 50 }, () => a(l))).toEqual(Array.from({ length: 50 }, () => b(l)));
  });
});

describe("VALL-E 2's repetition-aware sampling (window 10, threshold 0.1)", () => {
  const nucleus: Sampler = () => 3; // the nucleus always offers token 3
  const full: Sampler = () => 7; // the full distribution, scripted
  const sample = repetitionAwareSampler(nucleus, full);
  const l = logits(0, 0, 0, 5, 0, 0, 0, 0);

  it('keeps the nucleus token while it holds at most 1 of the last 10', () => {
    expect(sample(l, [])).toBe(3);
    expect(sample(l, [3, 1, 1, 1, 1, 1, 1, 1, 1, 1])).toBe(3);
  });

  it('resamples from the full distribution once it holds more than 1 of the last 10', () => {
    expect(sample(l, [3, 1, 3, 1, 1, 1, 1, 1, 1, 1])).toBe(7);
    expect(sample(l, [3, 3, 3])).toBe(7);
  });

  it('looks only at the last 10 tokens', () => {
    expect(sample(l, [3, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 3])).toBe(3);
  });

  it('with real samplers, a looping stream is broken out of its loop', () => {
    const peaked = logits(0, 0, 0, 3, 0, 0, 0, 0); // token 3 has p = 0.74
    const s = repetitionAwareSampler(
      createSampler({ temperature: 1, topK: 0, topP: 0.5, seed: 5 }),
      createSampler({ temperature: 1, topK: 0, topP: 1, seed: 6 }),
    );
    const out: number[] = [];
    for (let i = 0; i < 200; i++) out.push(s(peaked, out));
    const share = out.filter((t) => t === 3).length / out.length;
    // Plain nucleus sampling at p = 0.5 would give 3 every time.
    expect(share).toBeLessThan(0.9);
    expect(share).toBeGreaterThan(0.3);
  });
});
