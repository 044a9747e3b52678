/**
 * Full-Duplex-Bench's layout, both ways. One folder per sample:
 *
 *   <sample>/input.wav       caller track
 *   <sample>/output.wav      the system's time-aligned answer track
 *   <sample>/output.json     system words {text, chunks: [{text, timestamp: [s, e]}]} (FDB's ASR output format; seconds)
 *   <sample>/interrupt.json  [{context, interrupt, timestamp: [s, e]}] for samples with an interruption
 *   <sample>/pause.json, turn_taking.json, metadata.json: the other tasks' labels (fdb-tasks.ts)
 *   <sample>/banter.json     banter's own ground truth and events (lets banter re-score its exports exactly)
 *
 * Export turns a banter run into that layout for external evaluators.
 * Import scores any such folder with banter's metrics: with banter.json it
 * uses the ground truth; with a task's metadata file, the benchmark's labels
 * (fdb-tasks.ts); with neither, it finds the caller's turns with Silero on
 * input.wav and calls a turn that begins over system speech an interruption.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, join, relative, sep } from 'node:path';
import { readWav, writeWav } from '../../server/audio/wav.ts';
import type { SileroModel } from '../../server/turn-taking/silero.ts';
import { detectSpeechSegments } from '../../server/turn-taking/vad-offline.ts';
import { decodeAudioFile } from '../audio/decode.ts';
import type { PlacedStep } from '../caller/caller.ts';
import type { Interval } from '../caller/prepare.ts';
import type { RecordedConversation } from '../metrics/analyze.ts';
import { mergeSegments } from '../metrics/metrics.ts';
import type { Timeline, Word } from '../metrics/timeline.ts';
import { listConversations, loadConversation } from '../runner/artifacts.ts';
import { readFdbMeta, stimuliFromFdbMeta } from './fdb-tasks.ts';

const SR = 16000;

/** FDB's time-aligned transcript format (what its get_transcript/asr.py writes). */
export function fdbOutputJson(words: Word[]): {
  text: string;
  chunks: Array<{ text: string; timestamp: [number, number] }>;
} {
  return {
    text: words.map((w) => w.word).join(' '),
    chunks: words.map((w) => ({
      text: w.word,
      timestamp: [round3(w.startMs / 1000), round3(w.endMs / 1000)],
    })),
  };
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

export interface BanterSidecar {
  format: 1;
  id: string;
  stimuli: PlacedStep[];
  skipped: RecordedConversation['skipped'];
  events: RecordedConversation['events'];
  notes: string[];
  description?: string;
  difficulty?: string;
  voice?: string;
  background?: string;
}

/** Writes a run's conversations as FDB samples; words from the run's report when given. */
export function exportFdb(runDir: string, destDir: string, timelines: Timeline[] = []): string[] {
  const written: string[] = [];
  for (const id of listConversations(runDir)) {
    const rec = loadConversation(runDir, id);
    const dir = join(destDir, id);
    mkdirSync(dir, { recursive: true });
    writeWav(join(dir, 'input.wav'), rec.caller, rec.sampleRate);
    writeWav(join(dir, 'output.wav'), rec.system, rec.sampleRate);
    const sidecar: BanterSidecar = {
      format: 1,
      id,
      stimuli: rec.stimuli,
      skipped: rec.skipped,
      events: rec.events,
      notes: rec.notes,
      ...(rec.description ? { description: rec.description } : {}),
      ...(rec.difficulty ? { difficulty: rec.difficulty } : {}),
      ...(rec.voice ? { voice: rec.voice } : {}),
      ...(rec.background ? { background: rec.background } : {}),
    };
    writeFileSync(join(dir, 'banter.json'), `${JSON.stringify(sidecar, null, 1)}\n`);
    const words = timelines.find((t) => t.id === id)?.words;
    if (words) writeFileSync(join(dir, 'output.json'), `${JSON.stringify(fdbOutputJson(words), null, 1)}\n`);
    const interrupt = rec.stimuli.find((s) => s.kind === 'interrupt');
    if (interrupt) {
      const context =
        rec.stimuli.filter((s) => s.index < interrupt.index && s.kind === 'inquiry').at(-1)?.text ?? '';
      const on = interrupt.active[0]?.startMs ?? interrupt.startMs;
      const off = interrupt.active.at(-1)?.endMs ?? interrupt.endMs;
      writeFileSync(
        join(dir, 'interrupt.json'),
        `${JSON.stringify([{ context, interrupt: interrupt.text, timestamp: [round3(on / 1000), round3(off / 1000)] }], null, 1)}\n`,
      );
    }
    written.push(dir);
  }
  return written;
}

/** Sample folders under dir (those holding input.wav and output.wav), dir itself included. */
export function findFdbSamples(dir: string): string[] {
  const out: string[] = [];
  const visit = (d: string, depth: number) => {
    if (existsSync(join(d, 'input.wav')) && existsSync(join(d, 'output.wav'))) out.push(d);
    if (depth >= 3) return;
    for (const e of readdirSync(d, { withFileTypes: true }))
      if (e.isDirectory()) visit(join(d, e.name), depth + 1);
  };
  visit(dir, 0);
  return out.sort();
}

async function read16k(path: string): Promise<Float32Array> {
  const wav = readWav(path);
  return wav.sampleRate === SR ? wav.samples : decodeAudioFile(path, SR);
}

export { mergeSegments };

/**
 * Stimuli from a caller track without ground truth or labels: Silero turns (joined across gaps
 * under 700 ms, keeping the gaps as pauses); a turn is an interruption when it begins while the
 * system speaks.
 */
export function inferStimuli(callerSpeech: Interval[], systemSpeech: Interval[]): PlacedStep[] {
  const turns: Array<{ parts: Interval[] }> = [];
  for (const s of callerSpeech) {
    const last = turns.at(-1);
    if (last && s.startMs - last.parts.at(-1)!.endMs < 700) last.parts.push(s);
    else turns.push({ parts: [s] });
  }
  return turns.map((turn, index) => {
    const on = turn.parts[0].startMs;
    const off = turn.parts.at(-1)!.endMs;
    const overSystem = systemSpeech.some((s) => s.startMs < on && s.endMs > on);
    const pauses = turn.parts.slice(1).map((p, i) => ({ startMs: turn.parts[i].endMs, endMs: p.startMs }));
    return {
      index,
      kind: overSystem ? 'interrupt' : 'inquiry',
      startMs: on,
      endMs: off,
      active: turn.parts.map((p) => ({ ...p })),
      pauses: overSystem ? [] : pauses.filter((p) => p.endMs - p.startMs >= 300),
      source: 'input.wav',
      text: '(from input.wav)',
    } satisfies PlacedStep;
  });
}

/**
 * Reads one FDB sample folder as a recorded conversation (for analyzeConversation). Its id is
 * its path under `root` (sample folders of different tasks share names like `1`).
 */
export async function importFdbSample(
  dir: string,
  vad: SileroModel,
  root?: string,
): Promise<RecordedConversation> {
  let caller = await read16k(join(dir, 'input.wav'));
  let system = await read16k(join(dir, 'output.wav'));
  const n = Math.max(caller.length, system.length);
  const pad = (x: Float32Array) => {
    if (x.length === n) return x;
    const out = new Float32Array(n);
    out.set(x);
    return out;
  };
  caller = pad(caller);
  system = pad(system);
  const id = (root && relative(root, dir).split(sep).join('/')) || basename(dir);
  const sidecarPath = join(dir, 'banter.json');
  if (existsSync(sidecarPath)) {
    const s = JSON.parse(readFileSync(sidecarPath, 'utf8')) as BanterSidecar;
    const { format: _f, ...rest } = s;
    return { ...rest, id: s.id ?? id, sampleRate: SR, caller, system };
  }
  const meta = readFdbMeta(dir, root ?? dir);
  const callerSpeech = await detectSpeechSegments(vad, caller);
  if (meta)
    return {
      id,
      description: `Full-Duplex-Bench ${meta.task} sample (labels from its metadata, caller speech found by Silero on input.wav)`,
      sampleRate: SR,
      caller,
      system,
      stimuli: stimuliFromFdbMeta(meta, callerSpeech),
      skipped: [],
      events: [],
      notes: [
        'no banter ground truth: stimuli from the benchmark labels; no server events, so VAD-accuracy metrics are n/a',
      ],
    };
  return inferredConversation(
    id,
    'imported Full-Duplex-Bench sample (no metadata file: caller turns found by Silero on input.wav)',
    caller,
    system,
    vad,
    'input.wav',
    callerSpeech,
  );
}

/**
 * A recording with no ground truth and no labels as a conversation: the caller's turns found by
 * Silero (inferStimuli), no server events. `callerSpeech` when already detected.
 */
export async function inferredConversation(
  id: string,
  description: string,
  caller: Float32Array,
  system: Float32Array,
  vad: SileroModel,
  source: string,
  callerSpeech?: Interval[],
): Promise<RecordedConversation> {
  const speech = callerSpeech ?? (await detectSpeechSegments(vad, caller));
  const systemSpeech = await detectSpeechSegments(vad, system);
  return {
    id,
    description,
    sampleRate: SR,
    caller,
    system,
    stimuli: inferStimuli(speech, systemSpeech),
    skipped: [],
    events: [],
    notes: [
      `no ground truth: caller turns inferred from ${source}; no server events, so VAD-accuracy metrics are n/a`,
    ],
  };
}
