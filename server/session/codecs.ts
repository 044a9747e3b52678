/**
 * The codecs a handshake asks for: a decoder for the caller's audio and an encoder for ours.
 * Either both open or neither stays open, so a refused format leaks nothing.
 */
import { PIPELINE_SAMPLE_RATE } from '../audio/rates.ts';
import type { AudioFormat, OutputFormat } from '../protocol/messages.ts';
import { createInputDecoder, type InputDecoder, type InputLimits } from '../transport/input-decoder.ts';
import { createOutputEncoder, type OutputEncoder } from '../transport/output-encoder.ts';

export interface Codecs {
  decoder: InputDecoder;
  encoder: OutputEncoder;
}

/** Throws the coded BanterError of an unsupported format (unsupported_encoding, unsupported_sample_rate). */
export async function openCodecs(
  input: AudioFormat,
  output: OutputFormat,
  limits: InputLimits,
): Promise<Codecs> {
  const decoder = await createInputDecoder(input, limits);
  try {
    return { decoder, encoder: await createOutputEncoder(output, PIPELINE_SAMPLE_RATE) };
  } catch (err) {
    decoder.destroy();
    throw err;
  }
}
