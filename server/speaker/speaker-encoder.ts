/**
 * Speaker encoders behind one contract, `fbank-embedding/1`: 16 kHz speech -> Kaldi fbank
 * (server/audio/features/fbank.ts) -> optional mean normalization over time -> the graph ->
 * an embedding, L2-normalized here (WeSpeaker's and 3D-Speaker's exports return raw vectors).
 *
 * banter's own encoder (models/speaker, trained by models/training/speaker) and a user's
 * WeSpeaker or 3D-Speaker export (CAM++, ResNet34, ERes2Net: fbank [batch, frames, 80] in,
 * embedding [batch, dim] out) load the same way; the manifest's `speaker` section says how
 * the features are made (docs/models.md, "Speaker encoder").
 */
import ort from 'onnxruntime-node';
import { z } from 'zod';
import { fbankAll, type FbankOptions } from '../audio/features/fbank.ts';
import { PIPELINE_SAMPLE_RATE } from '../audio/rates.ts';
import { type LoadedModel, ModelError, type ModelRegistry, parseSection } from '../models/registry.ts';
import type { SpeakerEmbedding, SpeakerEncoder } from './speaker-gate.ts';

export const SPEAKER_CONTRACTS = ['fbank-embedding/1'] as const;

export const SpeakerSection = z.strictObject({
  contract: z.enum(SPEAKER_CONTRACTS),
  /** Width of the embedding the graph returns; checked against the first output at load. */
  embedding_dim: z.number().int().positive(),
  /**
   * Subtract each utterance's mean fbank frame before the graph (WeSpeaker's and 3D-Speaker's
   * recipes do; banter's encoder too). Default true.
   */
  cmn: z.boolean().default(true),
  /** Frontend options; Kaldi's defaults (25 ms windows every 10 ms, 80 bins) when left out. */
  fbank: z
    .strictObject({
      num_mel_bins: z.number().int().positive().default(80),
      frame_length_ms: z.number().positive().default(25),
      frame_shift_ms: z.number().positive().default(10),
      /** Factor on [-1, 1] samples: 32768 (Kaldi/WeSpeaker int16 scale) or 1 (torchaudio.load floats). Default 32768. */
      input_scale: z.number().positive().default(32768),
    })
    .prefault({}),
  /** Shortest speech worth embedding, ms: below it the graph's pooling sees too few frames. Default 500. */
  min_speech_ms: z.number().positive().default(500),
  /**
   * Same-voice thresholds by length of the stretch scored: cosines grow with the length for
   * every voice, so one number cannot serve a 0.5 s and a 2 s stretch alike. banter's export
   * writes, per length, the cosine only 5% of other voices of its dev set reach; a user's
   * model may leave it out (the gate's `acceptCosine` or its fallback then applies).
   */
  thresholds: z
    .array(z.strictObject({ speech_ms: z.number().positive(), cosine: z.number().min(-1).max(1) }))
    .min(1)
    .optional(),
});
export type SpeakerSection = z.infer<typeof SpeakerSection>;

/** A loaded encoder, with what the gate needs to know about it. */
export interface LoadedSpeakerEncoder extends SpeakerEncoder {
  readonly section: SpeakerSection;
}

/** Cosine similarity of two unit vectors. */
export function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += a[i] * b[i];
  return dot;
}

export function l2normalize(v: Float32Array): Float32Array {
  let sum = 0;
  for (const x of v) sum += x * x;
  const norm = Math.sqrt(sum) || 1;
  return v.map((x) => x / norm);
}

/** (frames x bins) features, mean-normalized over time when `cmn`, as one row-major array. */
export function speakerFeatures(
  samples: Float32Array,
  fbank: Partial<FbankOptions>,
  cmn: boolean,
): { data: Float32Array; frames: number; bins: number } {
  const rows = fbankAll(samples, fbank);
  const bins = fbank.numMelBins ?? 80;
  const data = new Float32Array(rows.length * bins);
  rows.forEach((r, t) => data.set(r, t * bins));
  if (cmn && rows.length > 0) {
    for (let b = 0; b < bins; b++) {
      let mean = 0;
      for (let t = 0; t < rows.length; t++) mean += data[t * bins + b];
      mean /= rows.length;
      for (let t = 0; t < rows.length; t++) data[t * bins + b] -= mean;
    }
  }
  return { data, frames: rows.length, bins };
}

/** Build an encoder on an already loaded model (the registry shares the session). */
export function createSpeakerEncoder(model: LoadedModel): LoadedSpeakerEncoder {
  const { manifest, dir, session } = model;
  const section = parseSection(manifest, 'speaker', SpeakerSection, dir);
  const input = manifest.inputs[0];
  const output = manifest.outputs[0];
  if (input.shape.length !== 3)
    throw new ModelError('model_mismatch', dir, `input "${input.name}" must be [batch, frames, bins]`);
  const bins = input.shape[2];
  if (typeof bins === 'number' && bins !== section.fbank.num_mel_bins) {
    throw new ModelError(
      'model_mismatch',
      dir,
      `input has ${bins} bins, speaker.fbank.num_mel_bins is ${section.fbank.num_mel_bins}`,
    );
  }
  const width = output.shape.at(-1);
  if (typeof width === 'number' && width !== section.embedding_dim) {
    throw new ModelError(
      'model_mismatch',
      dir,
      `output width ${width}, speaker.embedding_dim is ${section.embedding_dim}`,
    );
  }
  const fbank: Partial<FbankOptions> = {
    numMelBins: section.fbank.num_mel_bins,
    frameLengthMs: section.fbank.frame_length_ms,
    frameShiftMs: section.fbank.frame_shift_ms,
    inputScale: section.fbank.input_scale,
    sampleRate: PIPELINE_SAMPLE_RATE,
  };
  return {
    label: `${manifest.name}@${manifest.version}`,
    dimension: section.embedding_dim,
    section,
    thresholds: section.thresholds,
    async embed(samples: Float32Array): Promise<SpeakerEmbedding> {
      const f = speakerFeatures(samples, fbank, section.cmn);
      if (f.frames === 0) throw new ModelError('model_mismatch', dir, 'no fbank frame in so little audio');
      const result = await session.run({
        [input.name]: new ort.Tensor('float32', f.data, [1, f.frames, f.bins]),
      });
      const out = result[output.name];
      const raw = out.data as Float32Array;
      if (raw.length !== section.embedding_dim) {
        throw new ModelError(
          'model_mismatch',
          dir,
          `graph returned ${raw.length} values, speaker.embedding_dim is ${section.embedding_dim}`,
        );
      }
      return {
        vector: l2normalize(Float32Array.from(raw)),
        speechMs: (samples.length / PIPELINE_SAMPLE_RATE) * 1000,
      };
    },
  };
}

/** Load (once per folder and registry) the speaker encoder in `dir` (banter's own: `bundledModelDir('speaker')`). */
export async function loadSpeakerEncoder(
  dir: string,
  registry: ModelRegistry,
): Promise<LoadedSpeakerEncoder> {
  return createSpeakerEncoder(await registry.load(dir, 'speaker'));
}
