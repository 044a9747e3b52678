import { describe, expect, it } from 'vitest';
import { phonemizeWords } from './phonemes.ts';

describe('phonemizeWords (espeak-ng in WebAssembly)', () => {
  it('gives one group of IPA per word, reduced in context', async () => {
    const words = ['your', 'table', 'is', 'booked', 'for', 'seven'];
    const ipa = await phonemizeWords(words);
    expect(ipa).toHaveLength(words.length);
    expect(ipa[1]).toMatch(/^tˈeɪbəl$/);
    expect(ipa[5]).toMatch(/sˈɛvən/);
    expect(ipa.every((p) => p.length > 0 && !/\s/.test(p))).toBe(true);
  });

  it('keeps one group per word where espeak-ng would join words (letters of an acronym)', async () => {
    const words = ['of', 'the', 'u', 's', 'a'];
    const ipa = await phonemizeWords(words);
    expect(ipa).toHaveLength(5);
    expect(ipa[2]).toMatch(/jˈ?uː/);
    expect(ipa[4]).toMatch(/eɪ/);
  });

  it('is empty for no words', async () => {
    expect(await phonemizeWords([])).toEqual([]);
  });
});
