/**
 * WAV file I/O through wavefile: mono float32 in [-1, 1] at the file's own rate.
 * Multi-channel files are read per channel (`channels`) and mixed down for `samples`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import wavefilePkg from 'wavefile';

const { WaveFile } = wavefilePkg;

export interface WavAudio {
  /** Hz. */
  sampleRate: number;
  /** Mono mix, float32 in [-1, 1]. */
  samples: Float32Array;
  /** One array per channel, float32 in [-1, 1]. */
  channels: Float32Array[];
}

export function decodeWav(bytes: Uint8Array): WavAudio {
  const wav = new WaveFile(bytes);
  wav.toBitDepth('32f');
  const fmt = wav.fmt as { sampleRate: number; numChannels: number };
  const raw = wav.getSamples(false, Float32Array) as unknown as Float32Array | Float32Array[];
  const channels = fmt.numChannels > 1 ? (raw as Float32Array[]) : [raw as Float32Array];
  let samples = channels[0];
  if (channels.length > 1) {
    samples = new Float32Array(channels[0].length);
    for (const ch of channels) for (let i = 0; i < ch.length; i++) samples[i] += ch[i] / channels.length;
  }
  return { sampleRate: fmt.sampleRate, samples, channels };
}

export function readWav(path: string): WavAudio {
  return decodeWav(readFileSync(path));
}

/** Encodes float32 channels as 16-bit PCM WAV (clipped to [-1, 1]). */
export function encodeWav(channels: Float32Array | Float32Array[], sampleRate: number): Uint8Array {
  const list = Array.isArray(channels) ? channels : [channels];
  const ints = list.map((ch) => {
    const out = new Int16Array(ch.length);
    for (let i = 0; i < ch.length; i++) out[i] = Math.round(Math.max(-1, Math.min(1, ch[i])) * 32767);
    return out;
  });
  const wav = new WaveFile();
  wav.fromScratch(list.length, sampleRate, '16', list.length > 1 ? ints : ints[0]);
  return wav.toBuffer();
}

export function writeWav(path: string, channels: Float32Array | Float32Array[], sampleRate: number): void {
  writeFileSync(path, encodeWav(channels, sampleRate));
}
