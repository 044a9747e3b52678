/**
 * A word n-gram language model read from an ARPA file (plain or gzipped): the standard backoff
 * format KenLM, SRILM and models/training/asr/build_lm.py write. Scores are natural-log
 * probabilities, for the CTC beam search to add at each word it completes.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

const LN10 = Math.log(10);

export interface WordLm {
  /** Highest n-gram order in the model. */
  readonly order: number;
  /** ln P(word | history), history = the previous words, oldest first (<s> at sentence start). */
  score(history: readonly string[], word: string): number;
  has(word: string): boolean;
}

export class ArpaLm implements WordLm {
  readonly order: number;
  /** "w1 w2 ... wn" -> [log10 p, log10 backoff]. */
  private readonly grams = new Map<string, [number, number]>();

  private constructor(text: string) {
    let section = 0;
    let order = 0;
    for (const raw of text.split('\n')) {
      const line = raw.trim();
      if (!line) continue;
      const header = /^\\(\d+)-grams:$/.exec(line);
      if (header) {
        section = Number(header[1]);
        order = Math.max(order, section);
        continue;
      }
      if (line.startsWith('\\') || section === 0) continue;
      const parts = line.split(/\s+/);
      const p = Number(parts[0]);
      const words = parts.slice(1, 1 + section);
      const bo = parts.length > 1 + section ? Number(parts[1 + section]) : 0;
      if (words.length !== section || !Number.isFinite(p) || !Number.isFinite(bo))
        throw new SyntaxError(`bad ${section}-gram line: ${line.slice(0, 80)}`);
      this.grams.set(words.join(' '), [p, bo]);
    }
    if (order === 0 || !this.grams.has('<unk>')) throw new SyntaxError('not an ARPA model with <unk>');
    this.order = order;
  }

  static load(path: string): ArpaLm {
    const bytes = readFileSync(path);
    const text = path.endsWith('.gz') ? gunzipSync(bytes).toString('utf8') : bytes.toString('utf8');
    return new ArpaLm(text);
  }

  static parse(text: string): ArpaLm {
    return new ArpaLm(text);
  }

  has(word: string): boolean {
    return this.grams.has(word);
  }

  score(history: readonly string[], word: string): number {
    const w = this.grams.has(word) ? word : '<unk>';
    const h = history
      .slice(Math.max(0, history.length - (this.order - 1)))
      .map((x) => (this.grams.has(x) ? x : '<unk>'));
    // Standard backoff: the longest n-gram present, plus the backoff weights of the contexts dropped.
    let backoff = 0;
    for (let start = 0; start <= h.length; start++) {
      const ctx = h.slice(start);
      const gram = this.grams.get([...ctx, w].join(' '));
      if (gram) return (gram[0] + backoff) * LN10;
      const c = this.grams.get(ctx.join(' '));
      if (c && ctx.length > 0) backoff += c[1];
    }
    return (this.grams.get('<unk>')![0] + backoff) * LN10;
  }
}
