/**
 * CTC prefix beam search with a word language model, streaming: per-frame log-probabilities in,
 * transcripts with word times out (the same contract as the greedy decoder, ctc-decoder.ts).
 *
 * Each hypothesis is a character prefix with two scores (paths ending in blank, and in its last
 * symbol); when a word ends (the separator, or the end of the utterance) its LM score, weighted by
 * `lmWeight`, and a `wordBonus` are added. A word is `stable` once every hypothesis within
 * `stableMargin` of the best has finished it the same way: every later hypothesis extends one in
 * the beam, so only one that is now at least e^margin times less likely could still change it.
 */
import type { CtcDecoderOptions } from './ctc-decoder.ts';
import type { WordLm } from './ngram-lm.ts';
import type { RecognizedWord, Transcript } from './recognizer.ts';

export interface BeamOptions {
  /** Hypotheses kept per frame. Default 12. */
  beamWidth: number;
  /** Weight of the LM's natural-log score. Default 0.6. */
  lmWeight: number;
  /** Added per word (counters the LM's bias towards fewer words). Default 1.5. */
  wordBonus: number;
  /** Symbols below this log-probability in a frame are not tried (speed). Default ln(1e-3). */
  pruneLogProb: number;
  /** Hypotheses more than this many nats below the best do not hold words back from `stable`. Default 6. */
  stableMargin: number;
}

export const defaultBeamOptions: Readonly<BeamOptions> = Object.freeze({
  beamWidth: 12,
  lmWeight: 0.6,
  wordBonus: 1.5,
  pruneLogProb: Math.log(1e-3),
  stableMargin: 6,
});

interface Spelled {
  text: string;
  firstFrame: number;
  lastFrame: number;
}

interface Hyp {
  /** The character prefix (the beam's key). */
  key: string;
  /** ln P(prefix, path ends in blank), and in its last symbol. */
  blank: number;
  symbol: number;
  /** Weighted LM scores and word bonuses of the words finished so far. */
  lm: number;
  words: Spelled[];
  current: Spelled | null;
  /** Index of the last symbol (-1: none yet). */
  last: number;
}

const NEG = -Infinity;
function logAdd(a: number, b: number): number {
  if (a === NEG) return b;
  if (b === NEG) return a;
  const m = Math.max(a, b);
  return m + Math.log(Math.exp(a - m) + Math.exp(b - m));
}
const total = (h: Hyp) => logAdd(h.blank, h.symbol) + h.lm;

export class BeamCtcDecoder {
  private readonly o: CtcDecoderOptions & BeamOptions;
  private readonly separator: number;
  private beams: Hyp[] = [];
  private frame = 0;
  private originMs = 0;

  constructor(
    private readonly lm: WordLm,
    options: Partial<CtcDecoderOptions & BeamOptions> & Pick<CtcDecoderOptions, 'vocab' | 'blank'>,
  ) {
    this.o = { separator: ' ', frameMs: 20, ...defaultBeamOptions, ...options };
    this.separator = this.o.vocab.indexOf(this.o.separator);
    if (this.separator < 0) throw new RangeError('the separator is not in the vocabulary');
    this.reset();
  }

  reset(atMs = 0): void {
    this.beams = [{ key: '', blank: 0, symbol: NEG, lm: 0, words: [], current: null, last: -1 }];
    this.frame = 0;
    this.originMs = atMs;
  }

  push(logProbs: Float32Array, frames: number): void {
    const v = this.o.vocab.length;
    if (logProbs.length !== frames * v)
      throw new RangeError(`expected ${frames} x ${v} scores, got ${logProbs.length}`);
    for (let t = 0; t < frames; t++, this.frame++) this.step(logProbs.subarray(t * v, (t + 1) * v));
  }

  partial(): Transcript {
    const best = this.best(false);
    const words = best.current ? [...best.words, best.current] : best.words;
    // Words every hypothesis has finished identically are stable.
    let common = best.words.length;
    const floor = total(best) - this.o.stableMargin;
    for (const h of this.beams) {
      if (total(h) < floor) continue;
      let k = 0;
      while (k < common && k < h.words.length && h.words[k].text === best.words[k].text) k++;
      common = k;
    }
    return this.transcript('partial', words, common);
  }

  final(): Transcript {
    const best = this.best(true);
    const words = best.current ? [...best.words, best.current] : best.words;
    const t = this.transcript('final', words, words.length);
    this.reset(this.originMs + this.frame * this.o.frameMs);
    return t;
  }

  /** The best hypothesis; at the end of the utterance its last word and </s> are scored too. */
  private best(ending: boolean): Hyp {
    let best = this.beams[0];
    let bestScore = NEG;
    for (const h of this.beams) {
      let s = total(h);
      if (ending) {
        const history = h.words.map((w) => w.text);
        if (h.current) {
          s += this.wordScore(history, h.current.text);
          history.push(h.current.text);
        }
        s += this.o.lmWeight * this.lm.score(['<s>', ...history], '</s>');
      }
      if (s > bestScore) {
        bestScore = s;
        best = h;
      }
    }
    return best;
  }

  private wordScore(history: string[], word: string): number {
    return this.o.lmWeight * this.lm.score(['<s>', ...history], word) + this.o.wordBonus;
  }

  private step(lp: Float32Array): void {
    const next = new Map<string, Hyp>();
    const get = (from: Hyp, key: string, extend: (h: Hyp) => void): Hyp => {
      let h = next.get(key);
      if (!h) {
        h = { ...from, key, blank: NEG, symbol: NEG };
        extend(h);
        next.set(key, h);
      }
      return h;
    };
    const blank = this.o.blank;
    const candidates: number[] = [];
    for (let k = 0; k < lp.length; k++) if (k !== blank && lp[k] >= this.o.pruneLogProb) candidates.push(k);
    for (const h of this.beams) {
      const both = logAdd(h.blank, h.symbol);
      // Blank: the prefix stays.
      const same = get(h, h.key, () => {});
      same.blank = logAdd(same.blank, both + lp[blank]);
      // The last symbol again, with no blank between: still the same prefix.
      if (h.last >= 0) {
        const held = h.symbol + lp[h.last];
        same.symbol = logAdd(same.symbol, held);
        // The symbol is held (not a blank) in this frame: the word lasts at least until here.
        if (same.current && h.last !== this.separator && held > both + lp[blank])
          same.current = { ...same.current, lastFrame: this.frame };
      }
      for (const k of candidates) {
        if (k === this.separator && (h.key === '' || h.last === this.separator)) continue;
        // A repeated symbol needs a blank between: only the blank-ending paths extend.
        const from = k === h.last ? h.blank : both;
        if (from === NEG) continue;
        const key = h.key + this.o.vocab[k];
        const n = get(h, key, (e) => this.extend(e, h, k));
        n.symbol = logAdd(n.symbol, from + lp[k]);
      }
    }
    this.beams = [...next.values()].sort((a, b) => total(b) - total(a)).slice(0, this.o.beamWidth);
  }

  /** `e` (a copy of `from`) becomes `from` plus symbol k, spelled at this frame. */
  private extend(e: Hyp, from: Hyp, k: number): void {
    e.last = k;
    if (k === this.separator) {
      if (from.current) {
        e.lm =
          from.lm +
          this.wordScore(
            from.words.map((w) => w.text),
            from.current.text,
          );
        e.words = [...from.words, from.current];
      }
      e.current = null;
    } else if (from.current) {
      e.current = { ...from.current, text: from.current.text + this.o.vocab[k], lastFrame: this.frame };
    } else {
      e.current = { text: this.o.vocab[k], firstFrame: this.frame, lastFrame: this.frame };
    }
  }

  private transcript(kind: Transcript['kind'], spelled: Spelled[], stableCount: number): Transcript {
    const ms = (frame: number) => this.originMs + frame * this.o.frameMs;
    const words: RecognizedWord[] = spelled.map((w) => ({
      text: w.text,
      startMs: ms(w.firstFrame),
      endMs: ms(w.lastFrame + 1),
    }));
    return {
      kind,
      stable: words
        .slice(0, stableCount)
        .map((w) => w.text)
        .join(' '),
      unstable: words
        .slice(stableCount)
        .map((w) => w.text)
        .join(' '),
      words,
      startMs: words[0]?.startMs ?? ms(0),
      endMs: ms(this.frame),
    };
  }
}
