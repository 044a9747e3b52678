import { describe, expect, it } from 'vitest';
import { countErrors, editDistance, matchedReference, sumCounts, words } from './align.ts';

describe('ASR scoring', () => {
  it('counts word and character edits against the reference', () => {
    expect(editDistance(['a', 'b', 'c'], ['a', 'x', 'c', 'd'])).toBe(2);
    const c = countErrors("I'd like a table", 'i like a cable');
    expect(c).toEqual({ wordErrors: 2, words: 4, charErrors: 3, chars: 16 });
    expect(sumCounts([c, countErrors('yes', 'yes')])).toMatchObject({ wer: 2 / 5, cer: 3 / 19 });
    expect(words('Half-past SEVEN, please!')).toEqual(['half', 'past', 'seven', 'please']);
  });

  it('marks which reference words the hypothesis got right', () => {
    expect(matchedReference(['i', 'want', 'to', 'book'], ['i', 'want', 'to', 'bo'])).toEqual([
      true,
      true,
      true,
      false,
    ]);
    expect(matchedReference(['a', 'b', 'c'], ['b', 'c'])).toEqual([false, true, true]);
    expect(matchedReference(['a', 'b'], [])).toEqual([false, false]);
  });
});
