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

/**
 * Level of `estimate` against `reference` in three mel ranges (bins 0-19, 20-49, 50-79 of 80
 * on Kaldi's 20 Hz-8 kHz scale: below about 0.7 kHz, 0.7-2.7 kHz, above 2.7 kHz), dB, averaged
 * over the reference's louder half of frames: a muffled resynthesis reads negative in the top
 * range, a buzzy one positive where the original had little energy.
 */
export function bandLevelDifferenceDb(
  estimate: Float32Array,
  reference: Float32Array,
): [number, number, number] {
  const fe = fbankAll(estimate);
  const fr = fbankAll(reference);
  const n = Math.min(fe.length, fr.length);
  const energy = (row: Float32Array) => row.reduce((a, v) => a + v, 0);
  const order = Array.from({ length: n }, (_, t) => t).sort((a, b) => energy(fr[b]) - energy(fr[a]));
  const loud = order.slice(0, Math.max(1, Math.floor(n / 2)));
  const ranges: [number, number][] = [
    [0, 20],
    [20, 50],
    [50, 80],
  ];
  const toDb = 10 / Math.LN10;
  return ranges.map(([a, b]) => {
    let sum = 0;
    for (const t of loud) for (let i = a; i < b; i++) sum += fe[t][i] - fr[t][i];
    return (sum / (loud.length * (b - a))) * toDb;
  }) as [number, number, number];
}
