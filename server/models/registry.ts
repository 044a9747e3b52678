/**
 * Model registry: every model lives in a folder with manifest.json (+ MODEL_CARD.md).
 * Loading validates the manifest, checks files and checksums, opens the ONNX graph
 * with onnxruntime-node and compares the graph's real inputs/outputs with the
 * manifest, so a wrong or broken model fails at start-up with a coded ModelError
 * instead of producing garbage mid-call.
 *
 * One InferenceSession per model folder serves every connection: sessions are
 * cached by resolved path, and ORT's `run` may be called concurrently.
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import ort from 'onnxruntime-node';
import { ModelError } from './errors.ts';
import { type Manifest, type ModelKind, type TensorSpec, parseManifest } from './manifest.ts';

export { ModelError, MODEL_ERRORS, type ModelErrorCode } from './errors.ts';
export { Manifest, MODEL_KINDS, type ModelKind, parseSection } from './manifest.ts';

/** models/<name>/ of this repository: the small models banter ships and trains itself. */
export function bundledModelDir(name: string): string {
  return fileURLToPath(new URL(`../../models/${name}/`, import.meta.url));
}

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

export interface LoadedModel {
  /** Absolute folder path. */
  readonly dir: string;
  readonly manifest: Manifest;
  /** The graph named by `files.model`, shared by every caller. */
  readonly session: ort.InferenceSession;
  /** Absolute path of a file listed in `manifest.files` (e.g. "tokenizer"). */
  file(role: string): string;
}

const exists = async (p: string, kind: 'file' | 'dir'): Promise<boolean> => {
  try {
    const s = await stat(p);
    return kind === 'file' ? s.isFile() : s.isDirectory();
  } catch {
    return false;
  }
};

/** Load one model folder (no caching; use ModelRegistry to share sessions). */
export async function loadModel(
  dir: string,
  expectKind?: ModelKind,
  options: Partial<SessionOptions> = {},
): Promise<LoadedModel> {
  const opts = { ...defaultSessionOptions, ...options };
  const abs = path.resolve(dir);
  if (!(await exists(abs, 'dir'))) throw new ModelError('model_missing', abs, 'folder does not exist');
  const manifestPath = path.join(abs, 'manifest.json');
  if (!(await exists(manifestPath, 'file')))
    throw new ModelError('model_missing', abs, 'manifest.json not found');
  const manifest = parseManifest(await readFile(manifestPath, 'utf8'), abs);
  if (expectKind && manifest.kind !== expectKind) {
    throw new ModelError(
      'model_mismatch',
      abs,
      `expected a model of kind "${expectKind}", manifest says "${manifest.kind}"`,
    );
  }

  const files = manifest.files as Record<string, string>;
  for (const [role, rel] of Object.entries(files)) {
    if (!(await exists(path.join(abs, rel), 'file'))) {
      throw new ModelError('model_missing', abs, `file "${rel}" (files.${role}) not found`);
    }
  }
  if (opts.verifyChecksums) {
    for (const [rel, want] of Object.entries(manifest.sha256 ?? {})) {
      const got = createHash('sha256')
        .update(await readFile(path.join(abs, rel)))
        .digest('hex');
      if (got !== want)
        throw new ModelError('model_corrupt', abs, `sha256 of "${rel}" is ${got}, manifest says ${want}`);
    }
  }

  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(path.join(abs, manifest.files.model), {
      intraOpNumThreads: opts.intraOpThreads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    });
  } catch (err) {
    throw new ModelError(
      'model_corrupt',
      abs,
      `onnxruntime cannot load "${manifest.files.model}": ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  try {
    checkGraph(session, manifest, abs);
  } catch (err) {
    await session.release();
    throw err;
  }
  return {
    dir: abs,
    manifest,
    session,
    file(role: string): string {
      const rel = files[role];
      if (!rel)
        throw new ModelError(
          'manifest_invalid',
          abs,
          `files.${role} is required for a ${manifest.kind} model`,
        );
      return path.join(abs, rel);
    },
  };
}

/** The graph must take exactly the declared inputs and produce every declared output, with the same types. */
function checkGraph(session: ort.InferenceSession, manifest: Manifest, dir: string): void {
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

/**
 * Shares loaded models across connections: `load(dir)` returns the same promise (and the same
 * InferenceSession) for the same folder. A failed load is not cached, so a fixed folder can be retried.
 */
export class ModelRegistry {
  private readonly models = new Map<string, Promise<LoadedModel>>();

  constructor(private readonly options: Partial<SessionOptions> = {}) {}

  load(dir: string, expectKind?: ModelKind): Promise<LoadedModel> {
    const key = path.resolve(dir);
    let p = this.models.get(key);
    if (!p) {
      p = loadModel(key, expectKind, this.options);
      this.models.set(key, p);
      p.catch(() => this.models.delete(key));
    }
    return p.then((m) => {
      if (expectKind && m.manifest.kind !== expectKind) {
        throw new ModelError(
          'model_mismatch',
          key,
          `expected a model of kind "${expectKind}", manifest says "${m.manifest.kind}"`,
        );
      }
      return m;
    });
  }

  /** Number of model folders loaded or loading. */
  get size(): number {
    return this.models.size;
  }

  /** Release every session (server shutdown). */
  async close(): Promise<void> {
    const all = [...this.models.values()];
    this.models.clear();
    await Promise.all(all.map((p) => p.then((m) => m.session.release()).catch(() => undefined)));
  }
}

/** The process-wide registry the server uses unless a test brings its own. */
export const sharedModelRegistry = new ModelRegistry();
