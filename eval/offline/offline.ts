/**
 * Files in, files out: a recorded caller track (any format ffmpeg reads) is
 * streamed through a live session in real time, and the system's answer is
 * written as a track of the same timing. Output per sample, in
 * Full-Duplex-Bench's layout:
 *
 *   <out>/input.wav    the caller track as sent (16 kHz mono)
 *   <out>/output.wav   what the system played, time-aligned with input.wav
 *   <out>/events.json  every server event with its arrival time
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeWav } from '../../server/audio/wav.ts';
import { decodeAudioFile } from '../audio/decode.ts';
import { FRAME_SAMPLES } from '../caller/caller.ts';
import { SR } from '../caller/sounds.ts';
import { runSession, type CallerSource, type SessionRecording } from '../runner/client.ts';

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

/** Streams one audio file through a session and writes input.wav, output.wav and events.json into outDir. */
export async function runOfflineFile(
  inputPath: string,
  outDir: string,
  options: Partial<OfflineOptions> & Pick<OfflineOptions, 'url'>,
): Promise<OfflineResult> {
  const input = await decodeAudioFile(inputPath, SR);
  const caller = new TrackCaller(input, options.tailMs ?? 3000);
  const recording = await runSession(caller, { url: options.url, greeting: options.greeting ?? false });
  mkdirSync(outDir, { recursive: true });
  writeWav(join(outDir, 'input.wav'), recording.caller, SR);
  writeWav(join(outDir, 'output.wav'), recording.system, SR);
  writeFileSync(
    join(outDir, 'events.json'),
    `${JSON.stringify({ source: inputPath, error: recording.error ?? null, pacing: recording.pacing, events: recording.events }, null, 1)}\n`,
  );
  return { input, recording };
}
