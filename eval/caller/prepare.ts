/**
 * Renders everything a conversation's caller will play before the call
 * starts (speech synthesis takes longer than real time allows), with the
 * ground truth of each clip: where the speech is and where the pauses are.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  seededRandom,
  speechExtent,
  dbToGain,
  powerInSegments,
  msToSamples,
  samplesToMs,
  utter,
  type VoiceId,
} from '../../fixtures/synth.ts';
import { decodeAudioFile } from '../audio/decode.ts';
import {
  DEFAULT_CALLER_DBFS,
  DEFAULT_DISTRACTOR_DB,
  DEFAULT_SOUND_DBFS,
  seedFromString,
  stepText,
  type Conversation,
  type Step,
} from '../scenario/schema.ts';
import { SR, renderSound } from './sounds.ts';
import { callerVoiceProblem, libriClips, libriFallbackVoice, libriTestOtherDir } from './voices.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export interface Interval {
  startMs: number;
  endMs: number;
}

export interface PreparedClip {
  samples: Float32Array;
  /** Where the sound is inside the clip (speech, or the noise burst), ms from the clip start. */
  active: Interval[];
  /** Mid-turn pauses inside the clip (between the parts of an inquiry). */
  pauses: Interval[];
  /** The voice that actually spoke (after any fallback), or the sound source. */
  source: string;
  text: string;
}

export interface PreparedStep {
  index: number;
  step: Step;
  clip: PreparedClip;
}

export interface PreparedConversation {
  conversation: Conversation;
  steps: PreparedStep[];
  /** Looped under everything when the conversation has background noise. */
  background: Float32Array | null;
  /** Stand-ins used (missing data), for the report. */
  notes: string[];
}

export interface PrepareOptions {
  /** Accept voices outside the evaluation voice plan (for users' own suites). Default false. */
  allowAnyVoice: boolean;
}

const utterCache = new Map<string, Promise<PreparedClip>>();

/** Where synthesized clips are kept between runs (the engines are deterministic, so a clip never goes stale). */
export const TTS_CACHE_DIR = process.env.BANTER_EVAL_CACHE ?? join(repoRoot, 'eval/out/.cache/tts');
/** Bump when the rendering changes (padding, levelling), so old clips are not reused. */
const CACHE_VERSION = 1;

/** Synthesized, trimmed speech at an active level (memoized in memory and on disk: suites repeat lines). */
function speak(text: string, voice: string, levelDbfs: number): Promise<PreparedClip> {
  const key = `${CACHE_VERSION}|${voice}|${levelDbfs}|${text}`;
  let p = utterCache.get(key);
  if (!p) {
    p = cachedUtter(key, text, voice, levelDbfs).then((u) => ({
      samples: u.samples,
      active: [{ startMs: u.extent.startMs, endMs: u.extent.endMs }],
      pauses: [],
      source: voice,
      text,
    }));
    utterCache.set(key, p);
    p.catch(() => utterCache.delete(key));
  }
  return p;
}

async function cachedUtter(
  key: string,
  text: string,
  voice: string,
  levelDbfs: number,
): Promise<{ samples: Float32Array; extent: Interval }> {
  const file = join(TTS_CACHE_DIR, `${createHash('sha1').update(key).digest('hex')}.json`);
  try {
    const c = JSON.parse(readFileSync(file, 'utf8')) as { key: string; extent: Interval; samples: string };
    if (c.key === key) {
      const bytes = Buffer.from(c.samples, 'base64');
      return {
        extent: c.extent,
        samples: new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4).slice(),
      };
    }
  } catch {
    // Not cached yet (or unreadable): synthesize.
  }
  const u = await utter(text, voice as VoiceId, { levelDbfs, padMs: 20 });
  try {
    mkdirSync(TTS_CACHE_DIR, { recursive: true });
    const b64 = Buffer.from(u.samples.buffer, u.samples.byteOffset, u.samples.byteLength).toString('base64');
    writeFileSync(file, JSON.stringify({ key, extent: u.extent, samples: b64 }));
  } catch {
    // A read-only checkout still runs, just without the cache.
  }
  return { samples: u.samples, extent: u.extent };
}

/** Parts with pauses: the utterances joined by silences, each part's extent kept. */
async function speakParts(
  parts: NonNullable<Step['parts']>,
  voice: string,
  levelDbfs: number,
): Promise<PreparedClip> {
  const pieces: Float32Array[] = [];
  const active: Interval[] = [];
  const pauses: Interval[] = [];
  let atMs = 0;
  let pendingPause = 0;
  for (const part of parts) {
    if ('pause_ms' in part) {
      pendingPause += part.pause_ms;
      continue;
    }
    const clip = await speak(part.text, voice, levelDbfs);
    if (active.length > 0 && pendingPause > 0) {
      // The pause is measured speech-to-speech: trim the clip pads out of it.
      const prevEnd = active[active.length - 1].endMs;
      const silenceMs = Math.max(0, pendingPause - (atMs - prevEnd) - clip.active[0].startMs);
      pieces.push(new Float32Array(msToSamples(silenceMs, SR)));
      atMs += samplesToMs(msToSamples(silenceMs, SR), SR);
    }
    pendingPause = 0;
    pieces.push(clip.samples);
    const start = atMs + clip.active[0].startMs;
    const end = atMs + clip.active[0].endMs;
    if (active.length > 0) pauses.push({ startMs: active[active.length - 1].endMs, endMs: start });
    active.push({ startMs: start, endMs: end });
    atMs += samplesToMs(clip.samples.length, SR);
  }
  const samples = new Float32Array(pieces.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of pieces) {
    samples.set(p, o);
    o += p.length;
  }
  return {
    samples,
    active,
    pauses,
    source: voice,
    text: parts.map((p) => ('text' in p ? p.text : '…')).join(' '),
  };
}

/** A few seconds of a real LibriSpeech test-other speaker at an active level, or null without ../shared. */
async function libriSpeech(
  speaker: string,
  levelDbfs: number,
  seed: number,
  maxMs = 3500,
): Promise<PreparedClip | null> {
  const clips = libriClips(speaker);
  if (clips.length === 0) return null;
  const path = clips[Math.floor(seededRandom(seed)() * clips.length)];
  const full = await decodeAudioFile(path, SR);
  const extent = speechExtent(full, SR, { relativeDb: 35 });
  if (!extent) return null;
  const from = Math.max(0, msToSamples(extent.startMs - 20, SR));
  const to = Math.min(full.length, from + msToSamples(maxMs, SR));
  const samples = full.slice(from, to);
  const fade = msToSamples(30, SR);
  for (let i = 0; i < fade && i < samples.length; i++) samples[samples.length - 1 - i] *= i / fade;
  const local = speechExtent(samples, SR, { relativeDb: 35 }) ?? {
    startMs: 0,
    endMs: samplesToMs(samples.length, SR),
  };
  const gain = dbToGain(levelDbfs) / Math.sqrt(powerInSegments(samples, SR, [local]) || 1);
  for (let i = 0; i < samples.length; i++) samples[i] *= gain;
  const name = path.slice(path.lastIndexOf('/') + 1, -'.flac'.length);
  return { samples, active: [local], pauses: [], source: `libri:${speaker}`, text: `(LibriSpeech ${name})` };
}

async function prepareStep(
  c: Conversation,
  step: Step,
  index: number,
  seed: number,
  notes: string[],
): Promise<PreparedClip> {
  const callerDbfs = c.level_dbfs ?? DEFAULT_CALLER_DBFS;
  if (step.kind === 'noise') {
    const sound = step.sound!;
    const r = await renderSound(
      sound.source,
      sound.duration_ms ?? 1500,
      sound.level_dbfs ?? DEFAULT_SOUND_DBFS,
      seed + index * 101,
    );
    if (r.note) notes.push(`step ${index}: ${r.note}`);
    const extent = speechExtent(r.samples, SR) ?? { startMs: 0, endMs: samplesToMs(r.samples.length, SR) };
    return { samples: r.samples, active: [extent], pauses: [], source: sound.source, text: sound.source };
  }
  const level =
    step.kind === 'distractor' ? callerDbfs + (step.level_db ?? DEFAULT_DISTRACTOR_DB) : callerDbfs;
  let voice = step.voice ?? c.voice;
  if (voice.startsWith('libri:')) {
    const speaker = voice.slice(6);
    const real =
      step.text && step.kind !== 'distractor' ? null : await libriSpeech(speaker, level, seed + index * 31);
    if (real) return real;
    const fallback = libriFallbackVoice(speaker);
    notes.push(
      step.kind === 'distractor' || !step.text
        ? `step ${index}: ${libriTestOtherDir()} is absent; ${fallback} stands in for ${voice}`
        : `step ${index}: ${voice} has no transcripts; ${fallback} says the scripted text`,
    );
    voice = fallback;
  }
  if (step.parts) return speakParts(step.parts, voice, level);
  return speak(step.text ?? stepText(step), voice, level);
}

export async function prepareConversation(
  c: Conversation,
  options: Partial<PrepareOptions> = {},
): Promise<PreparedConversation> {
  if (!options.allowAnyVoice) {
    const voices = [c.voice, ...c.steps.map((s) => s.voice).filter((v): v is string => !!v)];
    for (const v of voices) {
      const problem = callerVoiceProblem(v);
      if (problem)
        throw new Error(`${c.id}: ${problem} (pass allowAnyVoice / --allow-any-voice to use it anyway)`);
    }
  }
  const seed = c.seed ?? seedFromString(c.id);
  const notes: string[] = [];
  const steps: PreparedStep[] = [];
  for (const [index, step] of c.steps.entries()) {
    steps.push({ index, step, clip: await prepareStep(c, step, index, seed, notes) });
  }
  let background: Float32Array | null = null;
  if (c.background) {
    const level = (c.level_dbfs ?? DEFAULT_CALLER_DBFS) - c.background.snr_db;
    // 20 s looped: long enough that the loop is not heard as a pattern in a gap.
    const r = await renderSound(c.background.source, 20_000, level, seed + 7777);
    if (r.note) notes.push(`background: ${r.note}`);
    background = r.samples;
  }
  return { conversation: c, steps, background, notes };
}
