/**
 * Cuts the LLM's streaming text into clauses a synthesizer can say with natural prosody, as
 * soon as each is complete. A clause ends at punctuation (. ! ? ; : , or a dash) after a word, or
 * at a word limit when the text has no punctuation (the TDM model writes ASR-style text): the
 * first clause of a reply is kept short so the first audio comes early, later ones longer.
 */
export interface ClauseOptions {
  /** Words after which the reply's first clause is cut even without punctuation. */
  firstMaxWords: number;
  /** The same for every later clause. */
  maxWords: number;
}

export const DEFAULT_CLAUSES: ClauseOptions = { firstMaxWords: 3, maxWords: 16 };

const CLAUSE_END = /[.!?;:,\u2014]$|^-+$/;

const clean = (text: string): string => text.trim().replace(/\s+/g, ' ');

export class ClauseChunker {
  private pending = '';
  private emitted = 0;

  constructor(private readonly options: ClauseOptions = DEFAULT_CLAUSES) {}

  /** Adds a text delta; returns the clauses it completed, in order. */
  push(delta: string): string[] {
    this.pending += delta;
    const out: string[] = [];
    let count = 0;
    let from = 0;
    // Only whole words are judged (ones followed by a space): the last one may still grow.
    for (const m of this.pending.matchAll(/\S+(?=\s)/g)) {
      count++;
      const limit = this.emitted === 0 ? this.options.firstMaxWords : this.options.maxWords;
      if (!CLAUSE_END.test(m[0]) && count < limit) continue;
      const end = m.index + m[0].length;
      out.push(clean(this.pending.slice(from, end)));
      this.emitted++;
      from = end;
      count = 0;
    }
    this.pending = this.pending.slice(from);
    return out;
  }

  /** No clause is out yet and some words wait: the first clause could be said now (flush). */
  get waitingForFirst(): boolean {
    return this.emitted === 0 && /[\p{L}\p{N}]/u.test(this.pending);
  }

  /** The text is over (or paused, for the first clause): whatever is left is a clause (or nothing). */
  flush(): string[] {
    const rest = clean(this.pending);
    this.pending = '';
    if (!rest) return [];
    this.emitted++;
    return [rest];
  }
}

/** Resolves with null after ms (a timeout in a race that must not keep the process alive). */
function pause(ms: number): Promise<null> {
  return new Promise((resolve) => setTimeout(() => resolve(null), ms).unref());
}

/**
 * The clauses of a streaming text, each as soon as it is complete. While no clause is out yet
 * and the text stops for `firstClauseWaitMs`, what there is becomes the first clause (the
 * duplex model writes a slice's words at once and the next ones a slice later; waiting for a
 * full first clause would cost a slice of first-audio latency). Ends when the text ends or
 * `signal` aborts.
 */
export async function* clausesOf(
  text: AsyncIterable<string>,
  signal: AbortSignal,
  options: ClauseOptions & { firstClauseWaitMs: number },
): AsyncIterable<string> {
  const chunker = new ClauseChunker(options);
  const deltas = text[Symbol.asyncIterator]();
  let next = deltas.next();
  const wait = options.firstClauseWaitMs;
  for (;;) {
    const got = chunker.waitingForFirst && wait > 0 ? await Promise.race([next, pause(wait)]) : await next;
    if (signal.aborted) return;
    if (got === null) {
      yield* chunker.flush();
      continue;
    }
    if (got.done) break;
    next = deltas.next();
    yield* chunker.push(got.value);
  }
  yield* chunker.flush();
}
