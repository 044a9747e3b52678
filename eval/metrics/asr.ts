/**
 * The independent recognizer that hears the system's side: Debian's
 * pocketsphinx (CMU Sphinx, US English model), never banter's own ASR or its
 * transcript events. Word timings come back on the recording's clock.
 *
 * Two measured hazards shape how audio is fed to it:
 * - its live cepstral mean normalization adapts to long silences and then
 *   garbles the next words (a greeting after 3 s of silence came out as
 *   "huh"), so only the speech segments are sent, joined by 300 ms gaps;
 * - loading the model costs about a second, so one conversation is one call.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeWav } from '../../server/audio/wav.ts';
import { runProcess } from '../../fixtures/run-process.ts';
import { countErrors, sumCounts } from '../asr/align.ts';
import type { Interval } from '../caller/prepare.ts';

export { wordErrorRate } from './wer.ts';

export interface Word {
  word: string;
  startMs: number;
  endMs: number;
  confidence: number;
}

export const POCKETSPHINX_BIN = 'pocketsphinx_continuous';
const MODEL_DIR = '/usr/share/pocketsphinx/model/en-us/en-us';
const DEBIAN_PACKAGES = ['pocketsphinx', 'pocketsphinx-en-us'];

export interface AsrAvailability {
  available: boolean;
  /** Why not, when not. */
  reason?: string;
}

function probe(): AsrAvailability {
  const r = spawnSync(POCKETSPHINX_BIN, ['-h'], { stdio: 'ignore' });
  if (r.error)
    return {
      available: false,
      reason: `${POCKETSPHINX_BIN} not found (apt-get install ${DEBIAN_PACKAGES.join(' ')})`,
    };
  if (!existsSync(MODEL_DIR))
    return {
      available: false,
      reason: `pocketsphinx model missing at ${MODEL_DIR} (apt-get install pocketsphinx-en-us)`,
    };
  return { available: true };
}

/**
 * Checks for pocketsphinx and, when allowed and running as root on Debian,
 * installs it with apt-get (the evaluation command does this; tests do not).
 */
export function ensurePocketsphinx(
  options: { install: boolean; log?: (line: string) => void } = { install: false },
): AsrAvailability {
  const found = probe();
  if (found.available || !options.install) return found;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot || spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).error) return found;
  options.log?.(
    `installing ${DEBIAN_PACKAGES.join(' ')} with apt-get (the system side is transcribed by pocketsphinx)`,
  );
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  let r = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', ...DEBIAN_PACKAGES], {
    stdio: 'ignore',
    env,
  });
  if (r.status !== 0) {
    spawnSync('apt-get', ['update'], { stdio: 'ignore', env });
    r = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', ...DEBIAN_PACKAGES], {
      stdio: 'ignore',
      env,
    });
  }
  return probe();
}

/** Gap of silence between joined segments, ms. */
const JOIN_GAP_MS = 300;
/** Audio kept around each segment so word edges are not clipped, ms. */
const SEGMENT_PAD_MS = 150;

/**
 * Transcribes the given segments of a 16 kHz recording with word timings on
 * the recording's clock. Resolves [] when there is nothing to transcribe.
 */
export async function transcribeSegments(
  samples: Float32Array,
  sampleRate: number,
  segments: Interval[],
): Promise<Word[]> {
  if (segments.length === 0) return [];
  const toSample = (ms: number) =>
    Math.max(0, Math.min(samples.length, Math.round((ms * sampleRate) / 1000)));
  const gap = toSample(JOIN_GAP_MS);
  // Map from joined-file time back to recording time, piecewise.
  const pieces: Array<{ joinedStart: number; from: number; to: number }> = [];
  let length = gap;
  for (const s of segments) {
    const from = toSample(s.startMs - SEGMENT_PAD_MS);
    const to = toSample(s.endMs + SEGMENT_PAD_MS);
    if (to <= from) continue;
    pieces.push({ joinedStart: length, from, to });
    length += to - from + gap;
  }
  const joined = new Float32Array(length);
  for (const p of pieces) joined.set(samples.subarray(p.from, p.to), p.joinedStart);

  const dir = mkdtempSync(join(tmpdir(), 'banter-asr-'));
  try {
    const wav = join(dir, 'system.wav');
    writeWav(wav, joined, sampleRate);
    const out = await run(POCKETSPHINX_BIN, [
      '-infile',
      wav,
      '-time',
      'yes',
      '-logfn',
      '/dev/null',
      '-samprate',
      String(sampleRate),
    ]);
    const toRecordingMs = (joinedSec: number): number => {
      const s = joinedSec * sampleRate;
      const piece = [...pieces].reverse().find((p) => s >= p.joinedStart - gap / 2) ?? pieces[0];
      return ((piece.from + (s - piece.joinedStart)) * 1000) / sampleRate;
    };
    return parseTimedOutput(out).map((w) => ({
      word: w.word,
      startMs: toRecordingMs(w.startSec),
      endMs: toRecordingMs(w.endSec),
      confidence: w.confidence,
    }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Words from `pocketsphinx_continuous -time yes` output (fillers, silences and sentence marks dropped). */
export function parseTimedOutput(
  text: string,
): Array<{ word: string; startSec: number; endSec: number; confidence: number }> {
  const words = [];
  for (const line of text.split('\n')) {
    const m = /^(\S+) (\d+\.\d+) (\d+\.\d+) (\d+\.\d+)$/.exec(line.trim());
    if (!m) continue;
    const token = m[1];
    if (/^(<s>|<\/s>|<sil>|\[.*\]|\+\+.*\+\+)$/.test(token)) continue;
    words.push({
      word: token.replace(/\(\d+\)$/, ''),
      startSec: Number(m[2]),
      endSec: Number(m[3]),
      confidence: Number(m[4]),
    });
  }
  return words;
}

async function run(bin: string, args: string[]): Promise<string> {
  return (await runProcess(bin, args)).toString('utf8');
}

/**
 * pocketsphinx_batch over 16 kHz WAV files in `dir` (one model load, no live CMN drift between
 * files): file name -> hypothesis.
 */
export async function pocketsphinxBatch(dir: string, files: readonly string[]): Promise<Map<string, string>> {
  const tmp = mkdtempSync(join(tmpdir(), 'banter-ps-'));
  try {
    const ctl = join(tmp, 'ctl.txt');
    const hyp = join(tmp, 'hyp.txt');
    writeFileSync(ctl, files.map((f) => f.replace(/\.wav$/, '')).join('\n') + '\n');
    await runProcess('pocketsphinx_batch', [
      '-adcin', 'yes', '-adchdr', '44', '-cepdir', dir, '-cepext', '.wav',
      '-ctl', ctl, '-hyp', hyp, '-logfn', '/dev/null',
    ]); // prettier-ignore
    const out = new Map<string, string>();
    for (const line of readFileSync(hyp, 'utf8').split('\n')) {
      const m = /^(.*) \((\S+) -?\d+\)$/.exec(line.trim());
      if (m) out.set(`${m[2]}.wav`, m[1]);
    }
    return out;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * Corpus word and character error rates of pocketsphinx over a folder of 16 kHz WAVs against
 * their texts (rounded to 4 places), the scoring the codec and TTS evaluations share.
 */
export async function pocketsphinxErrorRates(
  dir: string,
  items: readonly { file: string; text: string }[],
): Promise<{ wer: number; cer: number; word_errors: number; words: number }> {
  const hyp = await pocketsphinxBatch(
    dir,
    items.map((i) => i.file),
  );
  const s = sumCounts(items.map((i) => countErrors(i.text, hyp.get(i.file) ?? '')));
  const round = (x: number) => Math.round(x * 1e4) / 1e4;
  return { wer: round(s.wer), cer: round(s.cer), word_errors: s.wordErrors, words: s.words };
}

/** Writes an evaluation's result as JSON to `out` (if given) and to stdout. */
export function emitResult(result: unknown, out: string | undefined): void {
  const text = JSON.stringify(result, null, 1) + '\n';
  if (out) writeFileSync(out, text);
  process.stdout.write(text);
}
