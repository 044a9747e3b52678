/**
 * Words -> espeak-ng phonemes (IPA), the codec-LM TTS's input. The npm `phonemizer` package is
 * espeak-ng compiled to WebAssembly; the TTS data builder (models/training/codec/data.py) calls
 * this very module through ./phonemize-cli.ts, so training and serving phonemize alike.
 *
 * Words are phonemized in context (a clause at a time, so "a" and "the" are reduced as in
 * speech); espeak-ng writes one space-separated group per word, and where it joins or splits
 * words (rare) the clause falls back to one call per word, so every word keeps its own
 * phonemes: the TTS must say which word is playing.
 */
import { phonemize } from 'phonemizer';

/** espeak-ng's voice for the system voice's accent (flite slt is US English). */
export const DEFAULT_PHONEME_LANGUAGE = 'en-us';

/** One group of IPA per word, in order. Words are plain spoken-form words (no punctuation). */
export async function phonemizeWords(
  words: readonly string[],
  language = DEFAULT_PHONEME_LANGUAGE,
): Promise<string[]> {
  if (words.length === 0) return [];
  const joined = (await phonemize(words.join(' '), language)).join(' ').split(/\s+/).filter(Boolean);
  if (joined.length === words.length) return joined;
  const out: string[] = [];
  for (const word of words) out.push((await phonemize(word, language)).join('').replace(/\s+/g, ''));
  return out;
}
