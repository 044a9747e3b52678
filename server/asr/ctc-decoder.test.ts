import { describe, expect, it } from 'vitest';
import { GreedyCtcDecoder } from './ctc-decoder.ts';

// The recognizer's alphabet (models/training/asr/text.py): blank, space, a-z, apostrophe.
const VOCAB = ['<blank>', ...` abcdefghijklmnopqrstuvwxyz'`];

/** Scripted frames: each character is the frame's winning symbol ('_' = blank). */
function frames(script: string): [Float32Array, number] {
  const out = new Float32Array(script.length * VOCAB.length).fill(-10);
  [...script].forEach((ch, t) => (out[t * VOCAB.length + (ch === '_' ? 0 : VOCAB.indexOf(ch))] = -0.01));
  return [out, script.length];
}

describe('greedy CTC decoder', () => {
  it('collapses repeats, keeps letters split by a blank, and drops blanks', () => {
    const d = new GreedyCtcDecoder({ vocab: VOCAB, blank: 0 });
    d.push(...frames('__hh_e_ll_l_oo__ ___'));
    expect(d.final().stable).toBe('hello'); // 'll_l': a repeat collapses, a blank splits
    d.push(...frames('_tt_oo_o__'));
    expect(d.final().stable).toBe('too');
  });

  it('partials: finished words are stable, the word still being spelled is the unstable tail', () => {
    const d = new GreedyCtcDecoder({ vocab: VOCAB, blank: 0, frameMs: 20 });
    d.reset(1000);
    d.push(...frames('_y_e_s_ _p_l_'));
    expect(d.partial()).toMatchObject({ kind: 'partial', stable: 'yes', unstable: 'pl' });
    d.push(...frames('e_a_s_e__'));
    const p = d.partial();
    expect(p).toMatchObject({ stable: 'yes', unstable: 'please' });
    const f = d.final();
    expect(f).toMatchObject({ kind: 'final', stable: 'yes please', unstable: '' });
    // Word times on the session clock: first letter's frame to the frame after the last letter.
    expect(f.words).toEqual([
      { text: 'yes', startMs: 1000 + 1 * 20, endMs: 1000 + 6 * 20 },
      { text: 'please', startMs: 1000 + 9 * 20, endMs: 1000 + 20 * 20 },
    ]);
    // After a final the next utterance starts where this one stopped.
    d.push(...frames('_o_k_'));
    expect(d.final().words[0].startMs).toBe(1000 + 22 * 20 + 20);
  });

  it('chunking does not change the result', () => {
    const script = '_g__oo_d_ _m_o_r_n_i_n_g__ _';
    const whole = new GreedyCtcDecoder({ vocab: VOCAB, blank: 0 });
    whole.push(...frames(script));
    const chunked = new GreedyCtcDecoder({ vocab: VOCAB, blank: 0 });
    for (let i = 0; i < script.length; i += 3) chunked.push(...frames(script.slice(i, i + 3)));
    expect(chunked.final()).toEqual(whole.final());
  });

  it('refuses scores that are not whole frames', () => {
    const d = new GreedyCtcDecoder({ vocab: VOCAB, blank: 0 });
    expect(() => d.push(new Float32Array(VOCAB.length + 1), 1)).toThrow(RangeError);
  });
});
