/**
 * The ONNX side of loading: opening a graph with banter's session options, and checking that
 * the graph really has the inputs and outputs its manifest declares.
 */
import ort from 'onnxruntime-node';
import { ModelError } from './errors.ts';
import type { Manifest, TensorSpec } from './manifest.ts';

export interface SessionOptions {
  /** Threads inside one inference. Default 1: many sessions run at once, and small graphs gain little. */
  intraOpThreads: number;
  /** Check sha256 sums listed in the manifest. Default true (a few ms per MB at start-up). */
  verifyChecksums: boolean;
}

export const defaultSessionOptions = {
  intraOpThreads: 1,
  verifyChecksums: true,
} as const satisfies SessionOptions;

/** Opens `file` (named `ref` in errors); a file onnxruntime cannot parse is `model_corrupt`. */
export async function openSession(
  file: string,
  ref: string,
  dir: string,
  opts: SessionOptions,
): Promise<ort.InferenceSession> {
  try {
    return await ort.InferenceSession.create(file, {
      intraOpNumThreads: opts.intraOpThreads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    });
  } catch (err) {
    throw new ModelError(
      'model_corrupt',
      dir,
      `onnxruntime cannot load "${ref}": ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
}

/** The graph must take exactly the declared inputs and produce every declared output, with the same types. */
export function checkGraph(session: ort.InferenceSession, manifest: Manifest, dir: string): void {
  const declaredIn = manifest.inputs.map((t) => t.name).sort();
  const actualIn = [...session.inputNames].sort();
  if (declaredIn.join('\n') !== actualIn.join('\n')) {
    throw new ModelError(
      'model_mismatch',
      dir,
      `graph inputs [${actualIn.join(', ')}] differ from manifest inputs [${declaredIn.join(', ')}]`,
    );
  }
  const missingOut = manifest.outputs.map((t) => t.name).filter((n) => !session.outputNames.includes(n));
  if (missingOut.length) {
    throw new ModelError(
      'model_mismatch',
      dir,
      `graph outputs [${session.outputNames.join(', ')}] lack manifest outputs [${missingOut.join(', ')}]`,
    );
  }
  const meta = [...(session.inputMetadata ?? []), ...(session.outputMetadata ?? [])];
  for (const spec of [...manifest.inputs, ...manifest.outputs]) {
    const m = meta.find((x) => x.name === spec.name);
    if (!m || !m.isTensor) continue;
    const problem = compareTensor(spec, m.type, m.shape);
    if (problem) throw new ModelError('model_mismatch', dir, `"${spec.name}": ${problem}`);
  }
}

function compareTensor(spec: TensorSpec, type: string, shape: ReadonlyArray<number | string>): string | null {
  if (type !== spec.type) return `graph type ${type}, manifest says ${spec.type}`;
  if (shape.length === 0) return null; // shape not recorded in the graph
  if (shape.length !== spec.shape.length) {
    return `graph shape [${shape.join(', ')}], manifest says [${spec.shape.join(', ')}]`;
  }
  for (let i = 0; i < shape.length; i++) {
    const g = shape[i];
    const d = spec.shape[i];
    if (typeof g === 'number' && g > 0 && typeof d === 'number' && g !== d) {
      return `dimension ${i} is ${g} in the graph, ${d} in the manifest`;
    }
  }
  return null;
}
