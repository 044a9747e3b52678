/**
 * How close a resynthesized signal is to its original: the measures codec papers report
 * (EnCodec, DAC: a log-mel distance; SI-SDR after Le Roux et al., 2019), on banter's own
 * Kaldi fbank frontend so that every figure uses the features the server computes.
 */
import { fbankAll } from '../../server/audio/features/fbank.ts';

/** Mean absolute difference of Kaldi log-mel frames (80 bands, 25/10 ms). */
export function logMelDistance(a: Float32Array, b: Float32Array): number {
  const fa = fbankAll(a);
  const fb = fbankAll(b);
  const n = Math.min(fa.length, fb.length);
  let sum = 0;
  let count = 0;
  for (let t = 0; t < n; t++) {
    for (let i = 0; i < fa[t].length; i++) {
      sum += Math.abs(fa[t][i] - fb[t][i]);
      count++;
    }
  }
  return sum / Math.max(1, count);
}

/** Scale-invariant SDR of `estimate` against `reference`, dB. */
export function siSdr(estimate: Float32Array, reference: Float32Array): number {
  const n = Math.min(estimate.length, reference.length);
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += reference[i];
    my += estimate[i];
  }
  mx /= n;
  my /= n;
  let dot = 0;
  let xx = 0;
  for (let i = 0; i < n; i++) {
    dot += (estimate[i] - my) * (reference[i] - mx);
    xx += (reference[i] - mx) ** 2;
  }
  const scale = dot / Math.max(xx, 1e-12);
  let target = 0;
  let noise = 0;
  for (let i = 0; i < n; i++) {
    const t = scale * (reference[i] - mx);
    target += t * t;
    noise += (estimate[i] - my - t) ** 2;
  }
  return 10 * Math.log10(Math.max(target, 1e-12) / Math.max(noise, 1e-12));
}
