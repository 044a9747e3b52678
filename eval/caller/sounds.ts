/**
 * Non-speech sounds for the simulated caller: seeded generated noise
 * (white, pink, brown), a synthetic cough, and the real background-noise
 * recordings of ../shared/data/noise (Speech Commands), which fall back to
 * pink noise, with a note, when ../shared is absent.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readWav } from '../../server/audio/wav.ts';
import {
  dbToGain,
  msToSamples,
  pinkNoise,
  rms,
  scaleToRms,
  seededRandom,
  whiteNoise,
} from '../../fixtures/signal.ts';
import { decodeAudioFile } from '../audio/decode.ts';
import { noiseDir } from './voices.ts';

export const SR = 16000;

/** Brown (1/f²) noise: leaky integral of white noise, at the given RMS. */
export function brownNoise(length: number, seed: number, rmsLinear = 1): Float32Array {
  const white = whiteNoise(length, seed);
  const out = new Float32Array(length);
  let y = 0;
  for (let i = 0; i < length; i++) {
    // The leak keeps the integral from drifting (a high-pass near 4 Hz at 16 kHz).
    y = 0.9985 * y + white[i] * 0.05;
    out[i] = y;
  }
  return scaleToRms(out, rmsLinear);
}

/**
 * A cough: two bursts of band-limited noise (roughly 300 Hz to 3 kHz) with a
 * sharp attack and exponential decay, 90 ms apart. Loud, broadband and
 * speech-band, it is the classic false trigger of energy VADs.
 */
export function cough(seed: number, rmsLinear = dbToGain(-24)): Float32Array {
  const rand = seededRandom(seed);
  const bursts = [
    { ms: 180 + rand() * 80, gain: 1 },
    { ms: 140 + rand() * 60, gain: 0.6 },
  ];
  const gap = msToSamples(90, SR);
  const total = bursts.reduce((n, b) => n + msToSamples(b.ms, SR), 0) + gap;
  const out = new Float32Array(total);
  const noise = whiteNoise(total, seed + 7);
  let at = 0;
  let lp = 0;
  let hpPrev = 0;
  let hp = 0;
  for (const [k, b] of bursts.entries()) {
    const n = msToSamples(b.ms, SR);
    for (let i = 0; i < n; i++) {
      const x = noise[at + i];
      // One-pole low-pass (~3 kHz) then one-pole high-pass (~300 Hz).
      lp += 0.7 * (x - lp);
      hp = 0.89 * (hp + lp - hpPrev);
      hpPrev = lp;
      const attack = Math.min(1, i / msToSamples(8, SR));
      const decay = Math.exp(-i / msToSamples(b.ms / 3, SR));
      out[at + i] = hp * attack * decay * b.gain;
    }
    at += n + (k === 0 ? gap : 0);
  }
  return scaleToRms(out, rmsLinear);
}

const fileCache = new Map<string, Float32Array>();

/** A Speech Commands background-noise recording by name, or null when ../shared is absent. */
export async function noiseFile(name: string): Promise<Float32Array | null> {
  const path = join(noiseDir(), `${name}.wav`);
  if (!existsSync(path)) return null;
  let samples = fileCache.get(path);
  if (!samples) {
    const wav = readWav(path);
    samples = wav.sampleRate === SR ? wav.samples : await decodeAudioFile(path, SR);
    fileCache.set(path, samples);
  }
  return samples;
}

export interface RenderedSound {
  samples: Float32Array;
  /** Set when a stand-in was used (e.g. ../shared absent). */
  note?: string;
}

/**
 * Renders a sound source (`white`, `pink`, `brown`, `cough`, `file:<name>`)
 * at an RMS level in dBFS. Files are cut at a seeded offset; generated noise
 * is seeded. Deterministic for a given seed.
 */
export async function renderSound(
  source: string,
  durationMs: number,
  levelDbfs: number,
  seed: number,
): Promise<RenderedSound> {
  const level = dbToGain(levelDbfs);
  const n = msToSamples(durationMs, SR);
  if (source === 'cough') return { samples: cough(seed, level) };
  if (source === 'white') return { samples: whiteNoise(n, seed, level) };
  if (source === 'pink') return { samples: pinkNoise(n, seed, level) };
  if (source === 'brown') return { samples: brownNoise(n, seed, level) };
  if (source.startsWith('file:')) {
    const name = source.slice(5);
    const file = await noiseFile(name);
    if (!file) {
      return {
        samples: pinkNoise(n, seed, level),
        note: `${source}: ${noiseDir()} is absent; pink noise stands in`,
      };
    }
    const out = new Float32Array(n);
    const offset = Math.floor(seededRandom(seed)() * Math.max(1, file.length - n));
    for (let i = 0; i < n; i++) out[i] = file[(offset + i) % file.length];
    // Fade 20 ms in and out: a cut recording would otherwise click.
    const fade = Math.min(msToSamples(20, SR), n >> 1);
    for (let i = 0; i < fade; i++) {
      out[i] *= i / fade;
      out[n - 1 - i] *= i / fade;
    }
    return { samples: rms(out) > 0 ? scaleToRms(out, level) : out };
  }
  throw new Error(`unknown sound source: ${source}`);
}
