/**
 * VAD accuracy on real human recordings: Silero v4, v5 and v6 side by side,
 * through the live frame processor's default rules, on seeded streams built
 * from ../shared/data (the bench exits 0 with a message when it is absent).
 *
 * bench/vad-accuracy.ts scores synthetic voices and picked v5; an outside
 * measurement on labelled human recordings picked v6. Synthetic speech has
 * clean, regular onsets, so the default is chosen here on real voices.
 *
 * Streams (one per corpus; the same --seed rebuilds the same streams):
 * - fsdd: spoken digits (6 male speakers, 8 kHz, resampled to 16 kHz), the same
 *   number per speaker, joined by 300-1500 ms of silence. FSDD clips are
 *   trimmed to their speech, so the truth is each clip's extent, less any
 *   leading/trailing frames 40 dB below the clip's loudest 10 ms (the
 *   fixtures' speechExtent rule); the run prints how much that trims.
 * - libri: LibriSpeech train-clean-100 and test-other clips joined the same
 *   way. No alignments ship with them, so the truth is an energy detector on
 *   the clean clip (energyReference below), independent of Silero, and it is
 *   cross-checked against pocketsphinx word times when pocketsphinx is
 *   installed.
 * Both truths bridge pauses shorter than the 400 ms hangover and drop runs
 * shorter than the 64 ms minimum, so a perfect detector under the live rules
 * would score F1 = 1. Each condition is one continuous stream through one
 * model stream, as in a live session: recurrent state carries across clips,
 * which is what exposed v5's drift (see FLOOR_DB).
 *
 * Conditions: clean (dither between clips); clean over seeded pink noise 40 dB
 * under the speech (a quiet room's floor, see FLOOR_DB); and the four
 * non-synthetic noise recordings of ../shared/data/noise/speech-commands
 * (dishes, cat, bike, tap) looped from a seeded offset under the whole stream
 * at each --snr. SNRs are against the speech-active power.
 *
 *   npx tsx bench/vad-real.ts [--seed 1] [--fsdd 180] [--libri 30] [--snr 10,0]
 *                             [--fsdd-truth energy|clip] [--no-asr] [--json out.json] [--write-metrics]
 *
 * --write-metrics writes models/silero-v4|v5|v6/metrics.json from this run.
 */
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readWav } from '../server/audio/wav.ts';
import { msForSamples, samplesForMs } from '../server/audio/rates.ts';
import { resampleAll } from '../server/audio/resampler.ts';
import { loadSilero, type SileroVersion } from '../server/turn-taking/silero.ts';
import { frameF1, frameProbabilities, type SpeechSegment } from '../server/turn-taking/vad-offline.ts';
import { VadFrameProcessor, defaultVadOptions } from '../server/turn-taking/vad-processor.ts';
import { decodeAudioFile } from '../eval/audio/decode.ts';
import { sharedDataDir } from '../eval/caller/voices.ts';
import { mean, percentile } from '../eval/metrics/stats.ts';
import { ensurePocketsphinx, transcribeSegments, type Word } from '../eval/metrics/asr.ts';
import {
  dbToGain,
  dither,
  mixAtSnr,
  pinkNoise,
  powerInSegments,
  seededRandom,
  speechExtent,
} from '../fixtures/signal.ts';

const { values: args } = parseArgs({
  options: {
    seed: { type: 'string', default: '1' },
    fsdd: { type: 'string', default: '180' },
    libri: { type: 'string', default: '30' },
    snr: { type: 'string', default: '10,0' },
    'fsdd-truth': { type: 'string', default: 'energy' },
    'no-asr': { type: 'boolean', default: false },
    json: { type: 'string' },
    'write-metrics': { type: 'boolean', default: false },
  },
});
const seed = Number(args.seed);
const fsddCount = Number(args.fsdd);
const libriCount = Number(args.libri);
const snrs = args.snr.split(',').map(Number);
const fsddTruth = args['fsdd-truth'];
if (
  ![seed, fsddCount, libriCount, ...snrs].every(Number.isFinite) ||
  !['energy', 'clip'].includes(fsddTruth)
) {
  console.error(
    'usage: npx tsx bench/vad-real.ts [--seed N] [--fsdd N] [--libri N] [--snr 10,0] [--fsdd-truth energy|clip] [--no-asr] [--json file]',
  );
  process.exit(2);
}

const SR = 16000;
const GRID_MS = 10;
const GAP_MS: [number, number] = [300, 1500];
/** Every clip is brought to one speech-active level, so the stream's SNR is every clip's SNR. */
const LEVEL_DBFS = -26;
const MERGE_MS = defaultVadOptions.redemptionMs;
const MIN_SPEECH_MS = defaultVadOptions.minSpeechMs;
const VERSIONS: SileroVersion[] = ['v4', 'v5', 'v6'];
/**
 * A quiet room's floor under the clean streams. Between clips the clean
 * stream holds only dither, like a gated or noise-suppressed input, and
 * there v5's recurrent state drifted deaf after about a minute of short
 * words (33 of 165 digits missed; a fresh stream from the middle heard all
 * but one); over this floor it missed 5. Both are reported because a live
 * session can see either.
 */
const FLOOR_DB = 40;
// pink and white are synthetic; the point here is real sound.
const NOISES: Record<string, string> = {
  dishes: 'doing_the_dishes.wav',
  cat: 'dude_miaowing.wav',
  bike: 'exercise_bike.wav',
  tap: 'running_tap.wav',
};

const data = sharedDataDir();
const fsddDir = join(data, 'speech/fsdd');
const libriDirs = ['train-clean-100', 'test-other'].map((d) => join(data, 'speech/librispeech-speakers', d));
const noiseDir = join(data, 'noise/speech-commands');
const missing = [fsddDir, ...libriDirs, noiseDir].filter((d) => !existsSync(d));
if (missing.length) {
  console.log(`skipping bench/vad-real.ts: shared data is absent (${missing.join(', ')})`);
  process.exit(0);
}

const log = (line: string) => process.stderr.write(`${line}\n`);
const started = performance.now();

// ---------- helpers ----------

function shuffle<T>(items: T[], rand: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** Applies the live rules' bridging and minimum to a sorted list of segments. */
function bridge(segments: SpeechSegment[]): SpeechSegment[] {
  const out: SpeechSegment[] = [];
  for (const s of segments) {
    const last = out[out.length - 1];
    if (last && s.startMs - last.endMs < MERGE_MS) last.endMs = Math.max(last.endMs, s.endMs);
    else out.push({ ...s });
  }
  return out.filter((s) => s.endMs - s.startMs >= MIN_SPEECH_MS);
}

/** Longest unvoiced stretch kept at a segment's edge: word-initial and final fricatives and stops. */
const UNVOICED_EDGE_MS = 200;
/** Voiced frames a piece needs: 30 ms, a syllable's nucleus rather than a click or a smack. */
const MIN_VOICED_FRAMES = 3;

/**
 * Speech of a clean read-speech clip from energy and voicing alone (never
 * Silero). 10 ms frames, 20 ms windows, after a 100 Hz high-pass so rumble
 * and DC do not count. A segment is a run of frames within 40 dB of the
 * clip's level (its 95th percentile frame) and at least 8 dB over its floor
 * (10th percentile: its pauses), that holds 30 ms of voiced frames (within
 * 25 dB of the level, autocorrelation of 0.6 or more at 60-400 Hz); it is
 * clipped to UNVOICED_EDGE_MS around its voiced frames. Energy alone took
 * in audible breaths and lip noise before phrases (up to 500 ms ahead of
 * pocketsphinx's first word; onset disagreement p90 580 ms, 80 ms with
 * voicing); they are loud but not periodic. Each clip sets its own
 * thresholds, so recording level and room noise do not move them.
 */
function energyReference(samples: Float32Array): SpeechSegment[] {
  const hp = new Float32Array(samples.length);
  const a = Math.exp((-2 * Math.PI * 100) / SR);
  let prevX = 0;
  let prevY = 0;
  for (let i = 0; i < samples.length; i++) {
    prevY = a * (prevY + samples[i] - prevX);
    prevX = samples[i];
    hp[i] = prevY;
  }
  const hop = samplesForMs(GRID_MS);
  const frames = Math.floor(samples.length / hop);
  const db = new Float64Array(frames);
  for (let k = 0; k < frames; k++) {
    const lo = Math.max(0, k * hop - hop / 2);
    const hi = Math.min(hp.length, (k + 1) * hop + hop / 2);
    let sum = 0;
    for (let i = lo; i < hi; i++) sum += hp[i] * hp[i];
    db[k] = 10 * Math.log10(sum / (hi - lo) + 1e-12);
  }
  const level = percentile([...db], 95);
  const floor = percentile([...db], 10);
  const low = Math.max(level - 40, floor + 8);
  const voicedDb = Math.max(level - 25, floor + 15);
  const voice = voicing(hp, (k) => db[k] >= voicedDb);
  const voiced = (k: number) => db[k] >= voicedDb && voice[k] >= 0.6;
  const segments: SpeechSegment[] = [];
  const edge = UNVOICED_EDGE_MS / GRID_MS;
  let k = 0;
  while (k < frames) {
    if (db[k] < low) {
      k++;
      continue;
    }
    let end = k;
    const voicedFrames: number[] = [];
    for (; end < frames && db[end] >= low; end++) if (voiced(end)) voicedFrames.push(end);
    // A long unvoiced stretch inside a loud run (a breath between phrases) splits it; bridge() below
    // rejoins pieces whose gap is shorter than the hangover.
    let piece: number[] = [];
    const close = () => {
      if (piece.length >= MIN_VOICED_FRAMES) {
        const from = Math.max(k, piece[0] - edge);
        const to = Math.min(end, piece[piece.length - 1] + 1 + edge);
        segments.push({ startMs: from * GRID_MS, endMs: to * GRID_MS });
      }
      piece = [];
    };
    for (const v of voicedFrames) {
      if (piece.length && v - piece[piece.length - 1] > 2 * edge) close();
      piece.push(v);
    }
    close();
    k = end;
  }
  return bridge(segments);
}

/**
 * Peak normalized autocorrelation of each 10 ms frame over 40 ms, at lags of
 * 60-400 Hz, on a copy low-passed and decimated to 8 kHz (pitch lives well
 * below 4 kHz; this quarters the work). 1 is perfectly periodic; frames
 * `wanted` rejects stay 0.
 */
function voicing(hp: Float32Array, wanted: (frame: number) => boolean): Float32Array {
  const lp = new Float32Array(hp.length);
  const b = Math.exp((-2 * Math.PI * 1500) / SR);
  let y1 = 0;
  let y2 = 0;
  for (let i = 0; i < hp.length; i++) {
    y1 = b * y1 + (1 - b) * hp[i];
    y2 = b * y2 + (1 - b) * y1;
    lp[i] = y2;
  }
  const x = new Float32Array(Math.floor(lp.length / 2));
  for (let i = 0; i < x.length; i++) x[i] = lp[2 * i];
  const rate = SR / 2;
  const hop = (rate * GRID_MS) / 1000;
  const win = 4 * hop;
  const minLag = Math.floor(rate / 400);
  const maxLag = Math.ceil(rate / 60);
  const frames = Math.floor(hp.length / samplesForMs(GRID_MS));
  const out = new Float32Array(frames);
  for (let k = 0; k < frames; k++) {
    const start = Math.max(0, k * hop + hop / 2 - win / 2);
    if (start + win + maxLag > x.length) break;
    if (!wanted(k)) continue;
    let best = 0;
    for (let lag = minLag; lag <= maxLag; lag++) {
      let xy = 0;
      let xx = 0;
      let yy = 0;
      for (let i = start; i < start + win; i++) {
        xy += x[i] * x[i + lag];
        xx += x[i] * x[i];
        yy += x[i + lag] * x[i + lag];
      }
      if (xx > 0 && yy > 0) best = Math.max(best, xy / Math.sqrt(xx * yy));
    }
    out[k] = best;
  }
  return out;
}

/** Fade in and out over 5 ms: clips cut close to speech would otherwise start with a click. */
function fadeEdges(samples: Float32Array): Float32Array {
  const out = samples.slice();
  const n = Math.min(samplesForMs(5), Math.floor(out.length / 2));
  for (let i = 0; i < n; i++) {
    const g = 0.5 - 0.5 * Math.cos((Math.PI * i) / n);
    out[i] *= g;
    out[out.length - 1 - i] *= g;
  }
  return out;
}

function normalize(samples: Float32Array, speech: SpeechSegment[]): Float32Array {
  const gain = dbToGain(LEVEL_DBFS) / Math.sqrt(powerInSegments(samples, SR, speech));
  return samples.map((x) => x * gain);
}

interface Clip {
  id: string;
  samples: Float32Array;
  /** Truth, ms from the clip's start. */
  speech: SpeechSegment[];
}

interface Stream {
  corpus: string;
  clean: Float32Array;
  truth: SpeechSegment[];
  /** Where each clip sits (for the recognizer), ms. */
  spans: SpeechSegment[];
  clips: number;
  /** In stream order, so a reader can find the clip behind a miss. */
  ids: string[];
}

function buildStream(corpus: string, clips: Clip[], rand: () => number, ditherSalt: number): Stream {
  const gap = () => samplesForMs(GAP_MS[0] + rand() * (GAP_MS[1] - GAP_MS[0]));
  const starts: number[] = [];
  let cursor = samplesForMs(1000);
  for (const c of clips) {
    starts.push(cursor);
    cursor += c.samples.length + gap();
  }
  // Digital silence would be an exact-zero cue no microphone gives; 16-bit dither is the quietest real floor.
  const clean = dither(cursor + samplesForMs(1000), seed * 31 + ditherSalt);
  const raw: SpeechSegment[] = [];
  const spans: SpeechSegment[] = [];
  clips.forEach((c, i) => {
    for (let j = 0; j < c.samples.length; j++) clean[starts[i] + j] += c.samples[j];
    const at = msForSamples(starts[i]);
    spans.push({ startMs: at, endMs: at + msForSamples(c.samples.length) });
    for (const s of c.speech) raw.push({ startMs: at + s.startMs, endMs: at + s.endMs });
  });
  return { corpus, clean, truth: bridge(raw), spans, clips: clips.length, ids: clips.map((c) => c.id) };
}

// ---------- fsdd ----------

const fsddTrim = { lead: [] as number[], trail: [] as number[], edgeDb: [] as number[] };

async function fsddClips(rand: () => number): Promise<Clip[]> {
  const files = readdirSync(fsddDir).filter((f) => f.endsWith('.wav'));
  const speakers = [...new Set(files.map((f) => f.split('_')[1]))].sort();
  const perSpeaker = Math.max(1, Math.round(fsddCount / speakers.length));
  const chosen = speakers.flatMap((s) =>
    shuffle(
      files.filter((f) => f.split('_')[1] === s),
      rand,
    ).slice(0, perSpeaker),
  );
  const clips: Clip[] = [];
  for (const f of shuffle(chosen, rand)) {
    const wav = readWav(join(fsddDir, f));
    const samples = await resampleAll(wav.samples, wav.sampleRate, SR);
    const durationMs = msForSamples(samples.length);
    // Relative only: the files' levels differ by 40 dB between speakers.
    const extent = speechExtent(samples, SR, { relativeDb: 40, floorDbfs: -120 }) ?? {
      startMs: 0,
      endMs: durationMs,
    };
    fsddTrim.lead.push(extent.startMs);
    fsddTrim.trail.push(durationMs - extent.endMs);
    fsddTrim.edgeDb.push(edgeLevelDb(samples));
    const speech = [fsddTruth === 'clip' ? { startMs: 0, endMs: durationMs } : extent];
    clips.push({ id: f, samples: fadeEdges(normalize(samples, speech)), speech });
  }
  return clips;
}

/** The louder of a clip's first and last 10 ms against its loudest 10 ms, dB: near 0 means cut into speech. */
function edgeLevelDb(samples: Float32Array): number {
  const hop = samplesForMs(GRID_MS);
  const frames = Math.floor(samples.length / hop);
  const power = (k: number) => {
    let sum = 0;
    for (let i = k * hop; i < (k + 1) * hop; i++) sum += samples[i] * samples[i];
    return sum / hop;
  };
  let loudest = 1e-12;
  for (let k = 0; k < frames; k++) loudest = Math.max(loudest, power(k));
  return 10 * Math.log10(Math.max(power(0), power(frames - 1), 1e-12) / loudest);
}

// ---------- librispeech ----------

async function libriClips(rand: () => number): Promise<Clip[]> {
  const files: string[] = [];
  for (const dir of libriDirs) {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isFile() && entry.name.endsWith('.flac')) files.push(join(dir, entry.name));
      if (entry.isDirectory())
        for (const f of readdirSync(join(dir, entry.name)))
          if (f.endsWith('.flac')) files.push(join(dir, entry.name, f));
    }
  }
  files.sort();
  const clips: Clip[] = [];
  for (const path of shuffle(files, rand).slice(0, libriCount)) {
    const samples = await decodeAudioFile(path, SR);
    const speech = energyReference(samples);
    if (!speech.length) continue;
    clips.push({ id: path.slice(data.length + 1), samples: fadeEdges(normalize(samples, speech)), speech });
  }
  return clips;
}

// ---------- detection and scoring ----------

interface Detection {
  segments: SpeechSegment[];
  /** speech_start events: backdated onset and the moment it was confirmed, ms. */
  starts: { startMs: number; confirmedMs: number }[];
}

/** The live frame processor with its defaults, as the server runs it. */
function detect(probs: Float32Array): Detection {
  const vad = new VadFrameProcessor();
  const out: Detection = { segments: [], starts: [] };
  const take = (events: ReturnType<VadFrameProcessor['process']>) => {
    for (const e of events) {
      if (e.type === 'speech_start') out.starts.push({ startMs: e.startMs, confirmedMs: e.confirmedMs });
      else out.segments.push({ startMs: e.startMs, endMs: e.endMs });
    }
  };
  for (const p of probs) take(vad.process(p));
  take(vad.flush());
  return out;
}

function gridMask(segments: SpeechSegment[], durationMs: number): Uint8Array {
  const mask = new Uint8Array(Math.ceil(durationMs / GRID_MS));
  for (const s of segments) {
    // Grid points sit at the middle of each 10 ms step, as in frameF1.
    const from = Math.max(0, Math.ceil((s.startMs - GRID_MS / 2) / GRID_MS));
    for (let k = from; k < mask.length && k * GRID_MS + GRID_MS / 2 < s.endMs; k++) mask[k] = 1;
  }
  return mask;
}

interface Score {
  f1: number;
  precision: number;
  recall: number;
  truthSegments: number;
  missed: number;
  /** Truth segments whose detection began before the previous truth segment ended (no onset of their own). */
  merged: number;
  onsetMs: number[];
  confirmMs: number[];
  /** Detected end - truth end, where one detection ends the segment. */
  endMs: number[];
  falseMs: number;
  nonSpeechMs: number;
}

function score(truth: SpeechSegment[], d: Detection, durationMs: number): Score {
  const { f1, precision, recall } = frameF1(truth, d.segments, durationMs, GRID_MS);
  const t = gridMask(truth, durationMs);
  const m = gridMask(d.segments, durationMs);
  let falseSteps = 0;
  let nonSpeech = 0;
  for (let k = 0; k < t.length; k++) {
    if (!t[k]) nonSpeech++;
    if (m[k] && !t[k]) falseSteps++;
  }
  const s: Score = {
    f1,
    precision,
    recall,
    truthSegments: truth.length,
    missed: 0,
    merged: 0,
    onsetMs: [],
    confirmMs: [],
    endMs: [],
    falseMs: falseSteps * GRID_MS,
    nonSpeechMs: nonSpeech * GRID_MS,
  };
  const pairs = pairSegments(truth, d.segments);
  s.missed = pairs.missed;
  s.merged = pairs.merged;
  s.onsetMs = pairs.onsetMs;
  s.endMs = pairs.endMs;
  for (const hit of pairs.onsetHits) {
    const start = d.starts.find((x) => x.startMs === hit.other.startMs);
    if (start) s.confirmMs.push(start.confirmedMs - hit.truth.startMs);
  }
  return s;
}

/**
 * Pairs each truth segment with the other segments overlapping it: the first
 * gives its onset error unless it began before the previous truth segment
 * ended (one segment spanning a real pause has no onset for the second
 * part: "merged"); the last gives its end error unless it runs on into the
 * next truth segment.
 */
function pairSegments(truth: SpeechSegment[], other: SpeechSegment[]) {
  const out = {
    missed: 0,
    merged: 0,
    onsetMs: [] as number[],
    endMs: [] as number[],
    onsetHits: [] as { truth: SpeechSegment; other: SpeechSegment }[],
  };
  truth.forEach((seg, i) => {
    const overlapping = other.filter((x) => x.startMs < seg.endMs && x.endMs > seg.startMs);
    if (!overlapping.length) {
      out.missed++;
      return;
    }
    const first = overlapping[0];
    const last = overlapping[overlapping.length - 1];
    if (i > 0 && first.startMs < truth[i - 1].endMs) out.merged++;
    else {
      out.onsetMs.push(first.startMs - seg.startMs);
      out.onsetHits.push({ truth: seg, other: first });
    }
    if (i + 1 >= truth.length || last.endMs <= truth[i + 1].startMs) out.endMs.push(last.endMs - seg.endMs);
  });
  return out;
}

// ---------- build ----------

const rand = seededRandom(seed);
const fsdd = buildStream('fsdd', await fsddClips(rand), rand, 1);
const libri = buildStream('libri', await libriClips(rand), rand, 2);
const streams = [fsdd, libri];

const noises = new Map<string, Float32Array>();
for (const [name, file] of Object.entries(NOISES)) {
  const wav = readWav(join(noiseDir, file));
  noises.set(name, await resampleAll(wav.samples, wav.sampleRate, SR));
}

/** The noise looped from `offset` to `length` samples (recordings are about a minute; streams are longer). */
function looped(noise: Float32Array, length: number, offset: number): Float32Array {
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = noise[(offset + i) % noise.length];
  return out;
}

interface Condition {
  stream: Stream;
  name: string;
  kind: 'clean' | 'floor' | 'noisy';
  samples: Float32Array;
}
const conditions: Condition[] = [];
for (const stream of streams) {
  conditions.push({ stream, name: 'clean', kind: 'clean', samples: stream.clean });
  const speechPower = powerInSegments(stream.clean, SR, stream.truth);
  const floor = pinkNoise(stream.clean.length, seed + 1000 + conditions.length);
  conditions.push({
    stream,
    name: `pink floor ${FLOOR_DB} dB`,
    kind: 'floor',
    samples: mixAtSnr(stream.clean, floor, FLOOR_DB, { signalPower: speechPower }).mix,
  });
  for (const [name, noise] of noises) {
    // One offset per stream and noise, so the SNRs differ only in gain.
    const bed = looped(noise, stream.clean.length, Math.floor(rand() * noise.length));
    for (const snr of snrs) {
      const { mix } = mixAtSnr(stream.clean, bed, snr, { signalPower: speechPower });
      conditions.push({ stream, name: `${name} ${snr} dB`, kind: 'noisy', samples: mix });
    }
  }
}

const minutes = (ms: number) => ms / 60000;
const streamMs = (s: Stream) => msForSamples(s.clean.length);
const speechMs = (segs: SpeechSegment[]) => segs.reduce((a, s) => a + s.endMs - s.startMs, 0);
log(
  `built ${streams.map((s) => `${s.corpus}: ${s.clips} clips, ${minutes(streamMs(s)).toFixed(1)} min (${minutes(speechMs(s.truth)).toFixed(1)} min speech, ${s.truth.length} segments)`).join('; ')} in ${((performance.now() - started) / 1000).toFixed(1)} s`,
);

// ---------- recognizer cross-check (runs in its own process while Silero scores) ----------

const asr = args['no-asr'] ? { available: false, reason: '--no-asr' } : ensurePocketsphinx();
const asrWords: Promise<Word[]> | null = asr.available
  ? transcribeSegments(libri.clean, SR, libri.spans)
  : null;
if (!asr.available) log(`pocketsphinx cross-check skipped: ${asr.reason}`);

// ---------- score ----------

const detections = new Map<string, Detection>();
const scores = new Map<string, Score>();
const key = (c: Condition, v: string) => `${c.stream.corpus}|${c.name}|${v}`;
for (const version of VERSIONS) {
  const t0 = performance.now();
  const model = await loadSilero({ version, intraOpThreads: 1 });
  for (const c of conditions) {
    const d = detect(await frameProbabilities(model, c.samples));
    detections.set(key(c, version), d);
    scores.set(key(c, version), score(c.stream.truth, d, streamMs(c.stream)));
  }
  await model.release();
  log(`${version}: ${conditions.length} conditions in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

// ---------- report ----------

const f3 = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : 'n/a');
const f0 = (x: number) => (Number.isFinite(x) ? x.toFixed(0) : 'n/a');
const pooled = (list: Score[], field: 'onsetMs' | 'confirmMs' | 'endMs') => list.flatMap((s) => s[field]);

console.log(`\n## Silero on real speech (seed ${seed})\n`);
for (const s of streams) {
  console.log(
    `- ${s.corpus}: ${s.clips} clips, ${minutes(streamMs(s)).toFixed(1)} min stream, ${minutes(speechMs(s.truth)).toFixed(1)} min speech in ${s.truth.length} truth segments`,
  );
}
console.log(
  `- fsdd truth: ${fsddTruth === 'clip' ? 'whole clip extent' : 'clip extent less edges 40 dB under the loudest 10 ms'}; that rule trims the lead by median ${f0(percentile(fsddTrim.lead, 50))} / p90 ${f0(percentile(fsddTrim.lead, 90))} / max ${f0(Math.max(...fsddTrim.lead))} ms, the tail by ${f0(percentile(fsddTrim.trail, 50))} / ${f0(percentile(fsddTrim.trail, 90))} / ${f0(Math.max(...fsddTrim.trail))} ms; ${fsddTrim.lead.filter((x, i) => x + fsddTrim.trail[i] > 50).length} of ${fsddTrim.lead.length} clips lose over 50 ms; the louder edge 10 ms sits at median ${percentile(fsddTrim.edgeDb, 50).toFixed(1)} dB under the clip's loudest 10 ms (cut close to the speech)`,
);

let asrSummary: Record<string, unknown> | null = null;
let asrTruth: SpeechSegment[] | null = null;
if (asrWords) {
  const words = await asrWords;
  asrTruth = bridge(
    words.map((w) => ({ startMs: w.startMs, endMs: w.endMs })).sort((a, b) => a.startMs - b.startMs),
  );
  const agree = frameF1(libri.truth, asrTruth, streamMs(libri));
  const pairs = pairSegments(libri.truth, asrTruth);
  const onsetDiff = pairs.onsetMs;
  const offsetDiff = pairs.endMs;
  const abs = (a: number[]) => a.map(Math.abs);
  asrSummary = {
    words: words.length,
    segments: asrTruth.length,
    energySegments: libri.truth.length,
    energySegmentsWithoutWords: pairs.missed,
    energySegmentsMerged: pairs.merged,
    frameAgreement: { precision: agree.precision, recall: agree.recall, f1: agree.f1 },
    onsetDiffMs: {
      median: percentile(onsetDiff, 50),
      absMedian: percentile(abs(onsetDiff), 50),
      absP90: percentile(abs(onsetDiff), 90),
    },
    offsetDiffMs: {
      median: percentile(offsetDiff, 50),
      absMedian: percentile(abs(offsetDiff), 50),
      absP90: percentile(abs(offsetDiff), 90),
    },
  };
  console.log(
    `- libri truth vs pocketsphinx words (bridged the same way): ${words.length} words, ${asrTruth.length} vs ${libri.truth.length} segments (${pairs.missed} energy segments without a word, ${pairs.merged} joined to the previous one); frame agreement F1 ${f3(agree.f1)} (energy-as-truth precision ${f3(agree.precision)}, recall ${f3(agree.recall)}); onset pocketsphinx - energy median ${f0(percentile(onsetDiff, 50))} ms, |diff| median ${f0(percentile(abs(onsetDiff), 50))} / p90 ${f0(percentile(abs(onsetDiff), 90))} ms; offset median ${f0(percentile(offsetDiff, 50))} ms, |diff| median ${f0(percentile(abs(offsetDiff), 50))} / p90 ${f0(percentile(abs(offsetDiff), 90))} ms`,
  );
}

const header = [
  'corpus',
  'condition',
  'truth segs',
  ...VERSIONS.map((v) => `${v} F1`),
  ...VERSIONS.map((v) => `${v} onset p50/p90 ms`),
  ...VERSIONS.map((v) => `${v} missed`),
  ...VERSIONS.map((v) => `${v} false ms`),
];
console.log(
  '\nFrame F1 on a 10 ms grid; onset = detected start - truth start for detected truth segments (positive = late); missed = truth segments no detection overlaps; false ms = detected speech outside the truth.\n',
);
console.log(`| ${header.join(' | ')} |`);
console.log(`|${header.map(() => '---').join('|')}|`);
for (const c of conditions) {
  const r = VERSIONS.map((v) => scores.get(key(c, v))!);
  console.log(
    `| ${[
      c.stream.corpus,
      c.name,
      r[0].truthSegments,
      ...r.map((s) => f3(s.f1)),
      ...r.map((s) => `${f0(percentile(s.onsetMs, 50))}/${f0(percentile(s.onsetMs, 90))}`),
      ...r.map((s) => s.missed),
      ...r.map((s) => s.falseMs),
    ].join(' | ')} |`,
  );
}

const groups: { name: string; filter: (c: Condition) => boolean }[] = [
  ...streams.flatMap((s) => [
    ...(['clean', 'floor', 'noisy'] as const).map((kind) => ({
      name: `${s.corpus} ${kind}`,
      filter: (c: Condition) => c.stream === s && c.kind === kind,
    })),
  ]),
  { name: 'all', filter: () => true },
];
const summaryHeader = [
  'group',
  'version',
  'mean F1',
  'onset p50/p90 ms',
  'speech_start confirmed p50/p90 ms',
  'end p50/p90 ms',
  'missed / truth segs',
  'merged',
  'false speech ms per min of non-speech',
];
console.log(
  '\nSummary (F1 averaged over conditions; onsets pooled; speech_start confirmed = when the live event fires, after the truth onset; end = detected end - truth end, before the 400 ms hangover confirms it):\n',
);
console.log(`| ${summaryHeader.join(' | ')} |`);
console.log(`|${summaryHeader.map(() => '---').join('|')}|`);
const summary: Record<string, Record<string, unknown>> = {};
for (const g of groups) {
  for (const v of VERSIONS) {
    const list = conditions.filter(g.filter).map((c) => scores.get(key(c, v))!);
    const onset = pooled(list, 'onsetMs');
    const confirm = pooled(list, 'confirmMs');
    const ends = pooled(list, 'endMs');
    const missed = list.reduce((a, s) => a + s.missed, 0);
    const segs = list.reduce((a, s) => a + s.truthSegments, 0);
    const merged = list.reduce((a, s) => a + s.merged, 0);
    const falseMs = list.reduce((a, s) => a + s.falseMs, 0);
    const falsePerMin = falseMs / minutes(list.reduce((a, s) => a + s.nonSpeechMs, 0));
    const meanF1 = mean(list.map((s) => s.f1));
    (summary[g.name] ??= {})[v] = {
      meanF1,
      onsetMs: { p50: percentile(onset, 50), p90: percentile(onset, 90) },
      confirmMs: { p50: percentile(confirm, 50), p90: percentile(confirm, 90) },
      endMs: { p50: percentile(ends, 50), p90: percentile(ends, 90) },
      missed,
      truthSegments: segs,
      merged,
      falseMs,
      falseMsPerMinNonSpeech: falsePerMin,
    };
    console.log(
      `| ${[g.name, v, f3(meanF1), `${f0(percentile(onset, 50))}/${f0(percentile(onset, 90))}`, `${f0(percentile(confirm, 50))}/${f0(percentile(confirm, 90))}`, `${f0(percentile(ends, 50))}/${f0(percentile(ends, 90))}`, `${missed} / ${segs}`, merged, f0(falsePerMin)].join(' | ')} |`,
    );
  }
}

if (asrTruth) {
  console.log(
    '\nlibri scored against the pocketsphinx reference instead (mean F1 over conditions, clean F1):\n',
  );
  console.log(`| reference | ${VERSIONS.map((v) => `${v} mean F1 (clean)`).join(' | ')} |`);
  console.log(`|---|${VERSIONS.map(() => '---').join('|')}|`);
  const libriConds = conditions.filter((c) => c.stream === libri);
  const cell = (truth: SpeechSegment[], v: string) => {
    const f = libriConds.map((c) => frameF1(truth, detections.get(key(c, v))!.segments, streamMs(libri)).f1);
    return { mean: mean(f), clean: f[0] };
  };
  const byRef = { energy: libri.truth, pocketsphinx: asrTruth };
  const asrF1: Record<string, unknown> = {};
  for (const [name, truth] of Object.entries(byRef)) {
    const cells = VERSIONS.map((v) => cell(truth, v));
    if (name === 'pocketsphinx') VERSIONS.forEach((v, i) => (asrF1[v] = cells[i]));
    console.log(`| ${name} | ${cells.map((x) => `${f3(x.mean)} (${f3(x.clean)})`).join(' | ')} |`);
  }
  asrSummary!.sileroF1AgainstPocketsphinx = asrF1;
}

const json = {
  bench: 'vad-real',
  seed,
  rules: defaultVadOptions,
  streams: streams.map((s) => ({
    corpus: s.corpus,
    clips: s.clips,
    streamMin: minutes(streamMs(s)),
    speechMin: minutes(speechMs(s.truth)),
    truthSegments: s.truth.length,
    clipIds: s.ids,
  })),
  fsddTruth,
  snrDb: snrs,
  noises: Object.keys(NOISES),
  summary,
  rows: conditions.flatMap((c) =>
    VERSIONS.map((v) => {
      const s = scores.get(key(c, v))!;
      return {
        corpus: c.stream.corpus,
        condition: c.name,
        version: v,
        f1: s.f1,
        precision: s.precision,
        recall: s.recall,
        onsetP50: percentile(s.onsetMs, 50),
        onsetP90: percentile(s.onsetMs, 90),
        confirmP90: percentile(s.confirmMs, 90),
        endP50: percentile(s.endMs, 50),
        endP90: percentile(s.endMs, 90),
        missed: s.missed,
        merged: s.merged,
        truthSegments: s.truthSegments,
        falseMs: s.falseMs,
      };
    }),
  ),
  pocketsphinx: asrSummary ?? { skipped: asr.reason },
  seconds: (performance.now() - started) / 1000,
};
// The per-row figures and clip lists are in the tables and --json; stdout keeps one readable summary line.
const brief = { ...json, streams: json.streams.map(({ clipIds: _ids, ...rest }) => rest), rows: undefined };
console.log(`\n\`\`\`json\n${JSON.stringify(brief)}\n\`\`\``);
if (args.json) writeFileSync(args.json, `${JSON.stringify(json, null, 2)}\n`);
if (args['write-metrics']) {
  // Each bundled Silero folder keeps its held-out figures machine-readable, as every model folder does.
  for (const v of VERSIONS) {
    const file = new URL(`../models/silero-${v}/metrics.json`, import.meta.url).pathname;
    const metrics = {
      model: `silero-${v}`,
      command: `npx tsx bench/vad-real.ts ${process.argv.slice(2).join(' ')}`.trim(),
      measured: new Date().toISOString().slice(0, 10),
      what: 'frame F1 (10 ms grid), onset/confirm/end errors (ms), missed segments and false speech of the live frame processor rules on seeded streams of real recordings (FSDD digits, LibriSpeech clips), clean and in real noise; see docs/PERFORMANCE.md for the references and limits',
      seed,
      rules: defaultVadOptions,
      streams: brief.streams,
      summary: Object.fromEntries(Object.entries(summary).map(([group, byVersion]) => [group, byVersion[v]])),
      rows: json.rows.filter((r) => r.version === v),
    };
    writeFileSync(file, `${JSON.stringify(metrics, null, 1)}\n`);
    log(`wrote ${file}`);
  }
}
log(`done in ${json.seconds.toFixed(0)} s`);
