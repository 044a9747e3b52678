import { editDistance, words } from '../asr/align.ts';

/** Word error rate of a hypothesis against a reference, both normalized (lower case; letters, digits, apostrophes). */
export function wordErrorRate(reference: string, hypothesis: string): number {
  const ref = words(reference);
  const hyp = words(hypothesis);
  if (ref.length === 0) return hyp.length === 0 ? 0 : 1;
  return editDistance(ref, hyp) / ref.length;
}
