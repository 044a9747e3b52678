/**
 * The beam decoder and the ARPA reader on scripted log-probabilities and a hand-written LM:
 * known answers, worked out by hand.
 */
import { describe, expect, it } from 'vitest';
import { BeamCtcDecoder } from './ctc-beam-decoder.ts';
import { GreedyCtcDecoder } from './ctc-decoder.ts';
import { ArpaLm } from './ngram-lm.ts';

const VOCAB = ['_', ' ', 'a', 'b', 'o', 't', 'u', 'w'];
const ARPA = `\\data\\
ngram 1=9
ngram 2=2

\\1-grams:
-1.0\t</s>
-99\t<s>\t-0.5
-2.0\t<unk>
-1.0\ttwo\t-0.2
-3.0\ttu
-1.5\ta
-1.5\tb
-2.0\tbat
-2.0\tboat

\\2-grams:
-0.1\t<s> two
-0.3\ttwo a

\\end\\
`;

/** Frames for `spelling` (one symbol per frame, '_' = blank), peaked at p, the rest shared out. */
function frames(
  spelling: string,
  p = 0.9,
  alternatives: Record<number, Record<string, number>> = {},
): Float32Array {
  const out = new Float32Array(spelling.length * VOCAB.length);
  [...spelling].forEach((ch, t) => {
    const row = new Float64Array(VOCAB.length).fill((1 - p) / (VOCAB.length - 1));
    row[VOCAB.indexOf(ch)] = p;
    for (const [sym, q] of Object.entries(alternatives[t] ?? {})) row[VOCAB.indexOf(sym)] = q;
    const z = row.reduce((a, b) => a + b, 0);
    row.forEach((x, k) => (out[t * VOCAB.length + k] = Math.log(x / z)));
  });
  return out;
}

describe('ARPA language model', () => {
  it('scores seen bigrams directly and backs off through the context weight', () => {
    const lm = ArpaLm.parse(ARPA);
    expect(lm.order).toBe(2);
    expect(lm.score(['<s>'], 'two')).toBeCloseTo(-0.1 * Math.LN10, 6);
    expect(lm.score(['two'], 'a')).toBeCloseTo(-0.3 * Math.LN10, 6);
    expect(lm.score(['two'], 'b')).toBeCloseTo((-0.2 - 1.5) * Math.LN10, 6); // backoff(two) + p(b)
    expect(lm.score(['a'], 'b')).toBeCloseTo(-1.5 * Math.LN10, 6); // no backoff weight: 0
    expect(lm.score(['<s>'], 'zebra')).toBeCloseTo((-0.5 - 2.0) * Math.LN10, 6); // <unk>
    expect(() => ArpaLm.parse('\\data\\\n\\1-grams:\n-1 a\n\\end\\\n')).toThrow(/<unk>/);
  });
});

describe('CTC prefix beam search', () => {
  const lm = ArpaLm.parse(ARPA);

  it('with the LM switched off it finds what greedy decoding finds, with the same word times', () => {
    const lp = frames('__tw_oo_  _a_ _b_oa_t__');
    const beam = new BeamCtcDecoder(lm, { vocab: VOCAB, blank: 0, lmWeight: 0, wordBonus: 0, frameMs: 30 });
    const greedy = new GreedyCtcDecoder({ vocab: VOCAB, blank: 0, frameMs: 30 });
    beam.reset(1000);
    greedy.reset(1000);
    beam.push(lp, lp.length / VOCAB.length);
    greedy.push(lp, lp.length / VOCAB.length);
    const b = beam.final();
    expect(b).toEqual(greedy.final());
    expect(b.stable).toBe('two a boat');
  });

  it('the LM picks the likelier word where the sound is ambiguous', () => {
    // Frames 3-4 are "w" or "u" about equally: "two" is a word the LM knows well, "tu" is not.
    const lp = frames('__tw_o_  _a__', 0.9, { 3: { w: 0.45, u: 0.46 } });
    const plain = new BeamCtcDecoder(lm, { vocab: VOCAB, blank: 0, lmWeight: 0, wordBonus: 0 });
    plain.push(lp, lp.length / VOCAB.length);
    expect(plain.final().stable).toBe('tuo a');
    const withLm = new BeamCtcDecoder(lm, { vocab: VOCAB, blank: 0, lmWeight: 1, wordBonus: 0 });
    withLm.push(lp, lp.length / VOCAB.length);
    expect(withLm.final().stable).toBe('two a');
  });

  it('a word is stable only once every hypothesis has it', () => {
    const d = new BeamCtcDecoder(lm, { vocab: VOCAB, blank: 0, lmWeight: 0.5, wordBonus: 0 });
    d.push(frames('_two_ _b', 0.99), 8);
    const p = d.partial();
    expect(p.stable).toBe('two');
    expect(p.unstable).toBe('b');
    expect(p.kind).toBe('partial');
    // Ambiguous first word: no hypothesis may be promised yet.
    const e = new BeamCtcDecoder(lm, { vocab: VOCAB, blank: 0, lmWeight: 0, wordBonus: 0 });
    e.push(frames('_a_ _', 0.9, { 1: { a: 0.5, b: 0.45 } }), 5);
    expect(e.partial().stable).toBe('');
  });
});
