/**
 * WAV file I/O through node-wav: float32 in [-1, 1] at the file's own rate.
 * (wavefile's generic conversion took 40x longer on a long stereo recording.)
 * Multi-channel files are read per channel (`channels`) and mixed down for `samples`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import wav from 'node-wav';

export interface WavAudio {
  /** Hz. */
  sampleRate: number;
  /** Mono mix, float32 in [-1, 1]. */
  samples: Float32Array;
  /** One array per channel, float32 in [-1, 1]. */
  channels: Float32Array[];
}

export function decodeWav(bytes: Uint8Array): WavAudio {
  // node-wav reads the underlying ArrayBuffer from offset 0: a view into a larger buffer (node's
  // pooled Buffers for small files) must be copied out first, or it decodes the wrong bytes.
  // (Buffer#slice is a view, not a copy: copy through the Uint8Array constructor.)
  const own =
    bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : new Uint8Array(bytes);
  const { sampleRate, channelData: channels } = wav.decode(own);
  let samples = channels[0];
  if (channels.length > 1) {
    samples = new Float32Array(channels[0].length);
    for (const ch of channels) for (let i = 0; i < ch.length; i++) samples[i] += ch[i] / channels.length;
  }
  return { sampleRate, samples, channels };
}

export function readWav(path: string): WavAudio {
  return decodeWav(readFileSync(path));
}

/** Encodes float32 channels as 16-bit PCM WAV (clipped to [-1, 1]); shorter channels are zero-padded. */
export function encodeWav(channels: Float32Array | Float32Array[], sampleRate: number): Uint8Array {
  const list = Array.isArray(channels) ? channels : [channels];
  const frames = Math.max(...list.map((c) => c.length));
  const padded = list.map((c) => {
    const out = new Float32Array(frames);
    for (let i = 0; i < c.length; i++) out[i] = Math.max(-1, Math.min(1, c[i]));
    return out;
  });
  return wav.encode(padded, { sampleRate, float: false, bitDepth: 16 });
}

export function writeWav(path: string, channels: Float32Array | Float32Array[], sampleRate: number): void {
  writeFileSync(path, encodeWav(channels, sampleRate));
}
