/**
 * Caller audio in: one binary WebSocket frame in the session's declared
 * encoding -> float32 samples at 16 kHz. Bad frames throw a coded
 * BanterError and leave the decoder usable for the next frame.
 */
import alawmulaw from 'alawmulaw';
import { OpusDecoder } from 'opus-decoder';
import { z } from 'zod';
import { BanterError } from '../protocol/errors.ts';
import { OPUS_SAMPLE_RATES, PCM_SAMPLE_RATES, type AudioFormat } from '../protocol/messages.ts';
import { int16ToFloat, pcm16ToFloat } from '../audio/pcm.ts';
import { PIPELINE_SAMPLE_RATE } from '../audio/rates.ts';
import { createResampler, type Resampler } from '../audio/resampler.ts';

export const InputLimits = z.strictObject({
  /** Longest audio one binary frame may carry, in ms (longer frames are dropped with frame_too_large). Default 1000. */
  maxFrameMs: z.number().positive().default(1000),
});
export type InputLimits = z.infer<typeof InputLimits>;

export const defaultInputLimits: Readonly<InputLimits> = Object.freeze(InputLimits.parse({}));

export interface InputDecoder {
  readonly format: AudioFormat;
  /** Decodes one binary frame to 16 kHz float32. */
  decode(frame: Uint8Array): Float32Array;
  destroy(): void;
}

/** Checks a requested input format; returns the coded reason when it is not supported. */
export function checkInputFormat(
  format: AudioFormat,
): 'unsupported_encoding' | 'unsupported_sample_rate' | null {
  const rate = format.sample_rate;
  switch (format.encoding) {
    case 'pcm16':
      return (PCM_SAMPLE_RATES as readonly number[]).includes(rate) ? null : 'unsupported_sample_rate';
    case 'mulaw':
      return rate === 8000 ? null : 'unsupported_sample_rate';
    case 'opus':
      return (OPUS_SAMPLE_RATES as readonly number[]).includes(rate) ? null : 'unsupported_sample_rate';
    default:
      return 'unsupported_encoding';
  }
}

export async function createInputDecoder(
  format: AudioFormat,
  limits: Partial<InputLimits> = {},
): Promise<InputDecoder> {
  const { maxFrameMs } = { ...defaultInputLimits, ...limits };
  const problem = checkInputFormat(format);
  if (problem)
    throw new BanterError(problem, `${format.encoding} at ${format.sample_rate} Hz is not supported`);

  if (format.encoding === 'opus') return createOpusInput(format, maxFrameMs);

  const resampler: Resampler = await createResampler(format.sample_rate, PIPELINE_SAMPLE_RATE);
  const bytesPerSample = format.encoding === 'pcm16' ? 2 : 1;
  const maxBytes = Math.floor((format.sample_rate * maxFrameMs) / 1000) * bytesPerSample;
  return {
    format,
    decode(frame) {
      if (frame.byteLength > maxBytes) {
        throw new BanterError(
          'frame_too_large',
          `frame of ${frame.byteLength} bytes exceeds ${maxFrameMs} ms`,
        );
      }
      if (bytesPerSample === 2 && frame.byteLength % 2 !== 0) {
        throw new BanterError('bad_audio', 'pcm16 frame has an odd number of bytes');
      }
      const samples =
        format.encoding === 'pcm16' ? pcm16ToFloat(frame) : int16ToFloat(alawmulaw.mulaw.decode(frame));
      return resampler.process(samples);
    },
    destroy: () => resampler.destroy(),
  };
}

/** Largest Opus packet: 120 ms at 510 kb/s is under 8 kB; anything bigger is not one packet. */
const MAX_OPUS_PACKET_BYTES = 8000;

async function createOpusInput(format: AudioFormat, maxFrameMs: number): Promise<InputDecoder> {
  // libopus decodes straight to 16 kHz whatever rate the caller encoded at: no resampler needed.
  const decoder = new OpusDecoder({ sampleRate: PIPELINE_SAMPLE_RATE as 16000, channels: 1 });
  await decoder.ready;
  return {
    format,
    decode(frame) {
      if (frame.byteLength === 0) throw new BanterError('bad_audio', 'empty opus packet');
      if (frame.byteLength > MAX_OPUS_PACKET_BYTES) {
        throw new BanterError('frame_too_large', `opus packet of ${frame.byteLength} bytes`);
      }
      const out = withoutConsoleError(() => decoder.decodeFrame(frame));
      if (out.errors.length > 0 || out.samplesDecoded === 0) {
        throw new BanterError(
          'bad_audio',
          `opus packet cannot be decoded: ${out.errors[0]?.message ?? 'no samples'}`,
        );
      }
      if ((out.samplesDecoded * 1000) / PIPELINE_SAMPLE_RATE > maxFrameMs) {
        throw new BanterError('frame_too_large', 'opus packet longer than the per-frame limit');
      }
      return out.channelData[0].slice(0, out.samplesDecoded);
    },
    destroy: () => decoder.free(),
  };
}

/**
 * Runs `fn` with console.error silenced. opus-decoder prints every corrupt packet to stderr
 * itself, besides returning the error; a caller sending garbage would write a line per frame,
 * past the server's bounded bad-input log. The error still comes back in the result and is
 * reported as bad_audio. Synchronous, so nothing else can run while console.error is swapped.
 */
function withoutConsoleError<T>(fn: () => T): T {
  const saved = console.error;
  console.error = () => {};
  try {
    return fn();
  } finally {
    console.error = saved;
  }
}
