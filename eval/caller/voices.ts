/**
 * Who may speak as a simulated caller. ../shared/design/ARCHITECTURE.md
 * ("Who speaks with which voice") keeps the evaluation apart from training:
 * callers use flite rms, festival ked_diphone, espeak-ng en-gb-scotland
 * variants and LibriSpeech test-other speakers. banter's own voice (flite
 * slt) and every training voice are refused, so no model is scored on a
 * voice it learned from.
 */
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * Where the suites' recorded voices and noises are: BANTER_SHARED_DATA when set; else
 * ../shared/data next to the checkout; else eval/data, where `eval data` puts them.
 */
export function sharedDataDir(): string {
  if (process.env.BANTER_SHARED_DATA) return process.env.BANTER_SHARED_DATA;
  const shared = resolve(repoRoot, '../shared/data');
  const fetched = resolve(repoRoot, 'eval/data');
  return !existsSync(shared) && existsSync(fetched) ? fetched : shared;
}
export const libriTestOtherDir = (): string =>
  join(sharedDataDir(), 'speech/librispeech-speakers/test-other');
export const noiseDir = (): string => join(sharedDataDir(), 'noise/speech-commands');

/** Synthetic caller voices of the voice plan. */
export const CALLER_TTS_VOICES = [
  'flite:rms',
  'festival:ked_diphone',
  'espeak-ng:en-gb-scotland',
  'espeak-ng:en-gb-scotland+m3',
  'espeak-ng:en-gb-scotland+f2',
  'espeak-ng:en-gb-scotland+f4',
  'espeak-ng:en-gb-scotland+m7',
] as const;

/** LibriSpeech test-other speakers in ../shared/data (the folder names). */
export const LIBRI_TEST_OTHER_SPEAKERS = [
  '1688',
  '1998',
  '2033',
  '2414',
  '2609',
  '3005',
  '3080',
  '3331',
  '367',
  '533',
] as const;

/** Why a voice may not be a caller, or null when it may. */
export function callerVoiceProblem(voice: string): string | null {
  if (voice.startsWith('libri:')) {
    const speaker = voice.slice('libri:'.length);
    return (LIBRI_TEST_OTHER_SPEAKERS as readonly string[]).includes(speaker)
      ? null
      : `libri:${speaker} is not a LibriSpeech test-other speaker (train speakers are used for training)`;
  }
  if (voice === 'flite:slt' || voice.startsWith('festival:slt')) return `${voice} is banter's own TTS voice`;
  if (voice === 'flite:rms' || voice === 'festival:ked_diphone') return null;
  if (/^espeak-ng:en-gb-scotland(\+[A-Za-z0-9_-]+)?$/.test(voice)) return null;
  return `${voice} is not an evaluation caller voice (ASR/speaker-encoder training uses it, or it is not in the voice plan)`;
}

/** Whether the LibriSpeech test-other clips are here; callers fall back to a synthetic voice when not. */
export function libriAvailable(): boolean {
  return existsSync(libriTestOtherDir());
}

/** The FLAC clips of one test-other speaker, sorted; [] when the data is absent. */
export function libriClips(speaker: string): string[] {
  const dir = join(libriTestOtherDir(), speaker);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.flac'))
    .sort()
    .map((f) => join(dir, f));
}

/** The synthetic voice that stands in for a LibriSpeech speaker when ../shared is absent. */
export function libriFallbackVoice(speaker: string): string {
  const variants = CALLER_TTS_VOICES.filter((v) => v.startsWith('espeak-ng:'));
  return variants[Number(speaker) % variants.length];
}
