/**
 * Which recognizer the server runs, chosen by config: banter's own streaming CTC model (the
 * default, models/asr), a sherpa-onnx streaming model folder a user downloaded, the system's
 * PocketSphinx (a bridge until banter's own model is trained), or none (the
 * server then runs on the VAD alone and sends no transcripts). Each backend gives the same
 * Recognizer interface, so nothing downstream knows which one it is talking to.
 */
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { ModelRegistry } from '../models/registry.ts';
import { loadCtcRecognizer } from './ctc-recognizer.ts';
import { loadPocketsphinxRecognizer, PocketsphinxOptions } from './pocketsphinx-recognizer.ts';
import type { Recognizer } from './recognizer.ts';

export const ASR_BACKENDS = ['banter', 'sherpa-onnx', 'pocketsphinx', 'none'] as const;

export const SherpaOptions = z.strictObject({
  /** Decoder threads per recognizer (shared by all sessions). Default 1. */
  numThreads: z.number().int().positive().default(1),
  /** 'greedy_search' or 'modified_beam_search' (transducers). Default greedy_search. */
  decodingMethod: z.enum(['greedy_search', 'modified_beam_search']).default('greedy_search'),
  /**
   * Which file to take where a release ships both a float and an int8 export of the same model
   * (encoder-epoch-99-avg-1.onnx and encoder-epoch-99-avg-1.int8.onnx). Default 'float': the
   * export the model's published accuracy was measured with; 'int8' is smaller and faster on CPU.
   * Either falls back to the other when only one is there.
   */
  precision: z.enum(['float', 'int8']).default('float'),
});
export type SherpaOptions = z.infer<typeof SherpaOptions>;

/**
 * The default backend: 'none' until banter's own model is finished and committed to models/asr
 * (issue #9: it is still training); then 'banter'. Until then `--asr banter --asr-model DIR`
 * runs a model exported by models/training/asr/publish.py, or `--asr sherpa-onnx` a sherpa one.
 */
export const DEFAULT_ASR_BACKEND: (typeof ASR_BACKENDS)[number] = 'none';

export const AsrBackendOptions = z.strictObject({
  /** Default DEFAULT_ASR_BACKEND. 'banter': the model this project trains (models/asr). */
  backend: z.enum(ASR_BACKENDS).default(DEFAULT_ASR_BACKEND),
  /** Model folder: banter's (manifest.json, contract banter-ctc/1) or a sherpa-onnx streaming model folder. */
  modelPath: z.string().default(fileURLToPath(new URL('../../models/asr', import.meta.url))),
  /** Feature frames per model call for banter's model (10 ms each); default: about 160 ms. */
  chunkFrames: z.number().int().positive().optional(),
  sherpa: SherpaOptions.prefault({}),
  /** For 'pocketsphinx': the decoder binary and model files (Debian's pocketsphinx-en-us by default). */
  pocketsphinx: PocketsphinxOptions.prefault({}),
});
export type AsrBackendOptions = z.infer<typeof AsrBackendOptions>;

/** Loads the configured recognizer at start-up; a bad folder fails here with a coded ModelError. */
export async function loadRecognizer(
  options: AsrBackendOptions,
  registry: ModelRegistry,
): Promise<Recognizer | null> {
  switch (options.backend) {
    case 'none':
      return null;
    case 'banter':
      return loadCtcRecognizer(options.modelPath, registry, { chunkFrames: options.chunkFrames });
    case 'sherpa-onnx': {
      // Loaded only when asked for: sherpa-onnx-node is an optional native dependency.
      const { loadSherpaRecognizer } = await import('./sherpa-recognizer.ts');
      return loadSherpaRecognizer(options.modelPath, options.sherpa);
    }
    case 'pocketsphinx':
      return loadPocketsphinxRecognizer(options.pocketsphinx);
  }
}
