/**
 * Edit-distance alignment of a hypothesis against a reference: the error counts behind WER and
 * CER, and which reference tokens the hypothesis got right (for the partial-delay measure).
 */

/** Minimum edits (substitutions, insertions, deletions) from `ref` to `hyp`. */
export function editDistance<T>(ref: readonly T[], hyp: readonly T[]): number {
  let prev = Array.from({ length: hyp.length + 1 }, (_, j) => j);
  for (let i = 1; i <= ref.length; i++) {
    const cur = [i];
    for (let j = 1; j <= hyp.length; j++)
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ref[i - 1] === hyp[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[hyp.length];
}

/**
 * For each reference token, whether a minimum-edit alignment pairs it with an equal hypothesis
 * token. Ties go to matches, so a correct word is never counted missing because of an
 * equally cheap alignment.
 */
export function matchedReference<T>(ref: readonly T[], hyp: readonly T[]): boolean[] {
  const n = ref.length;
  const m = hyp.length;
  const d: number[][] = Array.from({ length: n + 1 }, (_, i) =>
    Array.from({ length: m + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= n; i++)
    for (let j = 1; j <= m; j++)
      d[i][j] = Math.min(
        d[i - 1][j] + 1,
        d[i][j - 1] + 1,
        d[i - 1][j - 1] + (ref[i - 1] === hyp[j - 1] ? 0 : 1),
      );
  const matched = new Array<boolean>(n).fill(false);
  let i = n;
  let j = m;
  while (i > 0 && j > 0) {
    if (ref[i - 1] === hyp[j - 1] && d[i][j] === d[i - 1][j - 1]) {
      matched[i - 1] = true;
      i--;
      j--;
    } else if (d[i][j] === d[i - 1][j - 1] + 1) {
      i--;
      j--;
    } else if (d[i][j] === d[i - 1][j] + 1) i--;
    else j--;
  }
  return matched;
}

/** Words of a transcript as both recognizers are scored: lower case, letters, digits and apostrophes. */
export function words(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9' ]+/g, ' ')
    .split(/\s+/)
    .filter(Boolean);
}

/** Error counts of one utterance, summed over a set before dividing (corpus-level rates). */
export interface ErrorCounts {
  wordErrors: number;
  words: number;
  charErrors: number;
  chars: number;
}

export function countErrors(reference: string, hypothesis: string): ErrorCounts {
  const r = words(reference);
  const h = words(hypothesis);
  const rc = [...r.join(' ')];
  const hc = [...h.join(' ')];
  return {
    wordErrors: editDistance(r, h),
    words: r.length,
    charErrors: editDistance(rc, hc),
    chars: rc.length,
  };
}

export function sumCounts(all: readonly ErrorCounts[]): ErrorCounts & { wer: number; cer: number } {
  const s = all.reduce(
    (a, c) => ({
      wordErrors: a.wordErrors + c.wordErrors,
      words: a.words + c.words,
      charErrors: a.charErrors + c.charErrors,
      chars: a.chars + c.chars,
    }),
    { wordErrors: 0, words: 0, charErrors: 0, chars: 0 },
  );
  return { ...s, wer: s.wordErrors / Math.max(1, s.words), cer: s.charErrors / Math.max(1, s.chars) };
}
