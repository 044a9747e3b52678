/**
 * Server audio out: float32 at the pipeline rate -> fixed-duration binary
 * frames in the caller's requested encoding (pcm16, Opus packets, mu-law).
 */
import alawmulaw from 'alawmulaw';
import OpusScript from 'opusscript';
import { BanterError } from '../protocol/errors.ts';
import {
  defaultOutputRate,
  OPUS_SAMPLE_RATES,
  PCM_SAMPLE_RATES,
  type OutputFormat,
} from '../protocol/messages.ts';
import { Framer } from '../audio/framer.ts';
import { floatToInt16, floatToPcm16 } from '../audio/pcm.ts';
import { createResampler, type Resampler } from '../audio/resampler.ts';

/** Every outbound frame lasts this long: Opus's usual packet size, and fine-grained enough to cut speech quickly. */
export const OUTPUT_FRAME_MS = 20;

export interface OutputEncoder {
  readonly encoding: OutputFormat['encoding'];
  /** Hz of the encoded audio. */
  readonly sampleRate: number;
  readonly frameMs: number;
  /** Encodes the complete frames this chunk finishes; a partial frame waits for more audio or flush(). */
  encode(samples: Float32Array): Uint8Array[];
  /** Encodes the partial frame, zero-padded (end of an utterance). */
  flush(): Uint8Array[];
  /** Drops the partial frame (after a barge-in). */
  reset(): void;
  destroy(): void;
}

export function resolveOutputRate(format: OutputFormat): number {
  const rate = format.sample_rate ?? defaultOutputRate(format.encoding);
  const ok =
    format.encoding === 'pcm16'
      ? (PCM_SAMPLE_RATES as readonly number[]).includes(rate)
      : format.encoding === 'opus'
        ? (OPUS_SAMPLE_RATES as readonly number[]).includes(rate)
        : rate === 8000;
  if (!ok)
    throw new BanterError(
      'unsupported_sample_rate',
      `${format.encoding} output at ${rate} Hz is not supported`,
    );
  return rate;
}

export async function createOutputEncoder(format: OutputFormat, sourceRate: number): Promise<OutputEncoder> {
  const sampleRate = resolveOutputRate(format);
  const resampler: Resampler = await createResampler(sourceRate, sampleRate);
  const framer = new Framer((sampleRate * OUTPUT_FRAME_MS) / 1000);
  let encodeFrame: (frame: Float32Array) => Uint8Array;
  let destroyCodec = () => {};
  switch (format.encoding) {
    case 'pcm16':
      encodeFrame = floatToPcm16;
      break;
    case 'mulaw':
      encodeFrame = (frame) => alawmulaw.mulaw.encode(floatToInt16(frame));
      break;
    case 'opus': {
      const opus = new OpusScript(sampleRate as 48000, 1, OpusScript.Application.VOIP);
      encodeFrame = (frame) => {
        const pcm = floatToInt16(frame);
        return new Uint8Array(
          opus.encode(Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength), frame.length),
        );
      };
      destroyCodec = () => opus.delete();
      break;
    }
    default:
      throw new BanterError(
        'unsupported_encoding',
        `output encoding ${String(format.encoding)} is not supported`,
      );
  }
  return {
    encoding: format.encoding,
    sampleRate,
    frameMs: OUTPUT_FRAME_MS,
    encode: (samples) => framer.push(resampler.process(samples)).map(encodeFrame),
    flush() {
      const last = framer.flush();
      return last ? [encodeFrame(last)] : [];
    },
    reset: () => framer.clear(),
    destroy() {
      resampler.destroy();
      destroyCodec();
    },
  };
}
