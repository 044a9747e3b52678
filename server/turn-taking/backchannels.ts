/**
 * What a caller says over banter without taking the floor: acknowledgements and fillers. A
 * barge-in whose words are all of these (or that has no words: a cough, noise that passed the
 * VAD) is a false interruption, and the paused reply plays on.
 */
import { normalizeAsr } from './eot-text.ts';

export const BACKCHANNEL_WORDS: ReadonlySet<string> = new Set([
  'uh',
  'huh',
  'uh-huh',
  'um',
  'hmm',
  'mm',
  'mhm',
  'mmhmm',
  'hm',
  'ah',
  'oh',
  'wow',
  'yeah',
  'yes',
  'yep',
  'yup',
  'right',
  'okay',
  'ok',
  'sure',
  'alright',
  'cool',
  'nice',
  'great',
  'exactly',
  'true',
  'totally',
  'really',
  'i',
  'see',
  'got',
  'it',
  'gotcha',
]);

/** Phrases made only of those words that still mean something ("i see it" does not occur; "i" alone is not a backchannel). */
const MEANINGFUL_ALONE: ReadonlySet<string> = new Set(['i', 'it', 'got', 'see', 'i see it']);

/** True when the words say nothing but "go on" (at most four of them). */
export function isBackchannel(text: string): boolean {
  const words = normalizeAsr(text).split(' ').filter(Boolean);
  if (words.length === 0) return true;
  if (words.length > 4) return false;
  if (MEANINGFUL_ALONE.has(words.join(' '))) return false;
  return words.every((w) => BACKCHANNEL_WORDS.has(w));
}
