/**
 * Reads any audio a user has (mp3, m4a, ogg, opus, flac, wav, ...) as mono
 * float32 at a chosen rate, through fluent-ffmpeg and the ffmpeg binary that
 * ships inside the @ffmpeg-installer npm package (no download at install or
 * run time; ffmpeg-static would fetch its binary and fail offline).
 */
import { accessSync, chmodSync, constants } from 'node:fs';
import { createRequire } from 'node:module';
import ffmpeg from 'fluent-ffmpeg';

const require = createRequire(import.meta.url);

let configured: string | null = null;

/** Path of the bundled ffmpeg (made executable if the package manager dropped the bit). */
export function ffmpegPath(): string {
  if (configured) return configured;
  let path: string;
  try {
    path = (require('@ffmpeg-installer/ffmpeg') as { path: string }).path;
    try {
      accessSync(path, constants.X_OK);
    } catch {
      // The package's own postinstall does this; installs with --ignore-scripts skip it.
      chmodSync(path, 0o755);
    }
  } catch {
    path = 'ffmpeg';
  }
  ffmpeg.setFfmpegPath(path);
  configured = path;
  return path;
}

export class DecodeError extends Error {
  readonly code = 'DECODE_FAILED';
  constructor(message: string) {
    super(message);
    this.name = 'DecodeError';
  }
}

/** Decodes the first audio stream of a file to mono float32 at `sampleRate` Hz (ffmpeg's default downmix). */
export function decodeAudioFile(path: string, sampleRate = 16000): Promise<Float32Array> {
  ffmpegPath();
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let streamDone = false;
    let ffmpegDone = false;
    let failed = false;
    const finish = () => {
      if (!streamDone || !ffmpegDone || failed) return;
      const all = Buffer.concat(chunks);
      const out = new Float32Array(Math.floor(all.length / 4));
      for (let i = 0; i < out.length; i++) out[i] = all.readFloatLE(i * 4);
      resolve(out);
    };
    const command = ffmpeg(path)
      .noVideo()
      .audioChannels(1)
      .audioFrequency(sampleRate)
      .format('f32le')
      .on('error', (err: Error) => {
        failed = true;
        reject(new DecodeError(`cannot decode ${path}: ${err.message.split('\n')[0]}`));
      })
      .on('end', () => {
        ffmpegDone = true;
        finish();
      });
    const stream = command.pipe();
    stream.on('data', (b: Buffer) => chunks.push(b));
    stream.on('end', () => {
      streamDone = true;
      finish();
    });
  });
}

/** Encodes mono or multi-channel float32 to any container ffmpeg knows, chosen by the file extension. */
export function encodeAudioFile(path: string, channels: Float32Array[], sampleRate: number): Promise<void> {
  ffmpegPath();
  const frames = channels[0].length;
  const interleaved = Buffer.alloc(frames * channels.length * 4);
  for (let i = 0; i < frames; i++) {
    for (let c = 0; c < channels.length; c++)
      interleaved.writeFloatLE(channels[c][i] ?? 0, (i * channels.length + c) * 4);
  }
  return new Promise((resolve, reject) => {
    const { PassThrough } = require('node:stream') as typeof import('node:stream');
    const input = new PassThrough();
    input.end(interleaved);
    ffmpeg(input)
      .inputFormat('f32le')
      .inputOptions([`-ar ${sampleRate}`, `-ac ${channels.length}`])
      .on('error', (err: Error) =>
        reject(new DecodeError(`cannot encode ${path}: ${err.message.split('\n')[0]}`)),
      )
      .on('end', () => resolve())
      .output(path)
      .outputOptions(['-y'])
      .run();
  });
}
