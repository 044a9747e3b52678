/**
 * Files in, files out: a recorded caller track (any format ffmpeg reads) is
 * streamed through a live session in real time, and the system's answer is
 * written as a track of the same timing. Output per sample, in
 * Full-Duplex-Bench's layout:
 *
 *   <out>/input.wav    the caller track: a WAV input copied as it is, other formats as sent (16 kHz mono)
 *   <out>/output.wav   what the system played, time-aligned with input.wav, at its rate and length
 *                      (the benchmark's scripts pair the two sample by sample)
 *   <out>/events.json  every server event with its arrival time (the tail after the input included)
 *   <out>/pause.json, turn_taking.json, interrupt.json, metadata.json: the sample's labels, copied,
 *                      so that `fdb-import <out>` scores the outputs directly
 */
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join, relative, resolve, sep } from 'node:path';
import { resampleAll } from '../../server/audio/resampler.ts';
import { readWav, writeWav } from '../../server/audio/wav.ts';
import { decodeAudioFile } from '../audio/decode.ts';
import { FRAME_SAMPLES } from '../caller/caller.ts';
import { SR } from '../caller/sounds.ts';
import { runSession, type CallerSource, type SessionRecording } from '../runner/client.ts';
import { FDB_METADATA_FILES } from './fdb-tasks.ts';

/** Plays a fixed track, then `tailMs` of silence so the system can finish its answer. */
export class TrackCaller implements CallerSource {
  private at = 0;
  private readonly end: number;
  readonly observed: Array<{ name: string; atMs: number }> = [];

  constructor(
    readonly track: Float32Array,
    tailMs = 3000,
  ) {
    this.end = track.length + Math.round((tailMs * SR) / 1000);
  }

  get finished(): boolean {
    return this.at >= this.end;
  }

  notify(name: string, atMs = (this.at * 1000) / SR): void {
    this.observed.push({ name, atMs });
  }

  nextFrame(): Float32Array {
    const frame = new Float32Array(FRAME_SAMPLES);
    if (this.at < this.track.length)
      frame.set(this.track.subarray(this.at, Math.min(this.track.length, this.at + FRAME_SAMPLES)));
    this.at += FRAME_SAMPLES;
    return frame;
  }
}

export interface OfflineOptions {
  url: string;
  /** Ask for the greeting (off by default: a recorded caller does not wait for one). */
  greeting: boolean;
  tailMs: number;
}

export interface OfflineResult {
  input: Float32Array;
  recording: SessionRecording;
}

/**
 * Where each input's outputs go under outRoot: its path from the folder that holds the
 * arguments it came from (the named folder itself stays in the path: a v1.5 task folder such
 * as `background_speech` names the task its samples belong to), so that samples named alike in
 * different folders (FDB's `1`, `2`...) never collide. A sample's `input.wav` given as a file
 * is its folder; any other file is its name without the extension.
 */
export function outputPaths(
  inputs: Array<{ path: string; isDir: boolean; arg?: string }>,
  outRoot: string,
): string[] {
  const target = (i: { path: string; isDir: boolean }) => {
    const p = resolve(i.path);
    if (i.isDir) return p;
    return basename(p) === 'input.wav' ? dirname(p) : join(dirname(p), basename(p, extname(p)));
  };
  // The arguments' own parents (a sample folder, a task folder or a whole data set: each keeps its name).
  const anchor = (i: { path: string; isDir: boolean; arg?: string }) =>
    dirname(target({ ...i, path: i.arg ?? i.path }));
  const split = (p: string) => p.split(sep).filter(Boolean);
  let common = split(anchor(inputs[0]));
  for (const i of inputs.slice(1)) {
    const parts = split(anchor(i));
    let k = 0;
    while (k < common.length && k < parts.length && common[k] === parts[k]) k++;
    common = common.slice(0, k);
  }
  const base = sep + common.join(sep);
  return inputs.map((i) => join(outRoot, relative(base, target(i))));
}

/** The rate and length (samples) of an input file: a WAV's own; other formats are taken at 16 kHz. */
function nativeFormat(
  path: string,
  decoded16k: Float32Array,
): { rate: number; length: number; wav: boolean } {
  if (extname(path).toLowerCase() === '.wav') {
    try {
      const w = readWav(path);
      return { rate: w.sampleRate, length: w.samples.length, wav: true };
    } catch {
      // Not a WAV node-wav reads (a float or A-law file, say): ffmpeg decoded it; keep 16 kHz.
    }
  }
  return { rate: SR, length: decoded16k.length, wav: false };
}

/** `x` (16 kHz) at `rate`, cut or zero-padded to exactly `length` samples. */
export async function toInputFormat(x: Float32Array, rate: number, length: number): Promise<Float32Array> {
  const y = await resampleAll(x, SR, rate);
  if (y.length === length) return y;
  const out = new Float32Array(length);
  out.set(y.subarray(0, Math.min(length, y.length)));
  return out;
}

/**
 * Streams one audio file through a session and writes input.wav, output.wav (at the input's
 * rate and length), events.json and the sample's benchmark labels into outDir.
 */
export async function runOfflineFile(
  inputPath: string,
  outDir: string,
  options: Partial<OfflineOptions> & Pick<OfflineOptions, 'url'>,
): Promise<OfflineResult> {
  const input = await decodeAudioFile(inputPath, SR);
  const native = nativeFormat(inputPath, input);
  const caller = new TrackCaller(input, options.tailMs ?? 3000);
  const recording = await runSession(caller, { url: options.url, greeting: options.greeting ?? false });
  mkdirSync(outDir, { recursive: true });
  if (native.wav) copyFileSync(inputPath, join(outDir, 'input.wav'));
  else writeWav(join(outDir, 'input.wav'), recording.caller.subarray(0, input.length), SR);
  writeWav(
    join(outDir, 'output.wav'),
    await toInputFormat(recording.system, native.rate, native.length),
    native.rate,
  );
  if (basename(inputPath) === 'input.wav')
    for (const f of FDB_METADATA_FILES) {
      const src = join(dirname(inputPath), f);
      if (existsSync(src)) copyFileSync(src, join(outDir, f));
    }
  writeFileSync(
    join(outDir, 'events.json'),
    `${JSON.stringify({ source: inputPath, error: recording.error ?? null, pacing: recording.pacing, events: recording.events }, null, 1)}\n`,
  );
  return { input, recording };
}
