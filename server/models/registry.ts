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
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import ort from 'onnxruntime-node';
import { ModelError } from './errors.ts';
import { checkGraph, defaultSessionOptions, openSession, type SessionOptions } from './graph.ts';
import {
  type Manifest,
  type ModelKind,
  type TensorSpec,
  TENSOR_TYPES,
  npmSpecifier,
  parseManifest,
} from './manifest.ts';

const require = createRequire(import.meta.url);

export { ModelError, MODEL_ERRORS, type ModelErrorCode } from './errors.ts';
export { Manifest, MODEL_KINDS, type ModelKind, parseSection } from './manifest.ts';

/** models/<name>/ of this repository: the small models banter ships and trains itself. */
export function bundledModelDir(name: string): string {
  return fileURLToPath(new URL(`../../models/${name}/`, import.meta.url));
}

export { defaultSessionOptions, type SessionOptions } from './graph.ts';

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

/** Absolute path of a manifest file reference: inside the folder, or inside an installed npm package. */
export function resolveFile(dir: string, ref: string): string | null {
  const spec = npmSpecifier(ref);
  if (spec === null) return path.join(dir, ref);
  try {
    return require.resolve(spec);
  } catch {
    return null;
  }
}

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
  const resolved: Record<string, string> = {};
  for (const [role, rel] of Object.entries(files)) {
    const file = resolveFile(abs, rel);
    if (file === null || !(await exists(file, 'file'))) {
      throw new ModelError('model_missing', abs, `file "${rel}" (files.${role}) not found`);
    }
    resolved[rel] = file;
  }
  if (opts.verifyChecksums) {
    for (const [rel, want] of Object.entries(manifest.sha256 ?? {})) {
      const got = createHash('sha256')
        .update(await readFile(resolved[rel]))
        .digest('hex');
      if (got !== want)
        throw new ModelError('model_corrupt', abs, `sha256 of "${rel}" is ${got}, manifest says ${want}`);
    }
  }

  const session = await openSession(resolved[manifest.files.model], manifest.files.model, abs, opts);
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
      return resolved[rel];
    },
  };
}

/**
 * A bare ONNX file a user brings without a folder (a Silero export, say): its manifest is read
 * off the graph itself, so the kind's loader still sees one LoadedModel shape. The kind's own
 * checks (which contract the graph follows) are all that stand between it and the session.
 */
export async function loadGraphFile(
  file: string,
  kind: ModelKind,
  options: Partial<SessionOptions> = {},
): Promise<LoadedModel> {
  const opts = { ...defaultSessionOptions, ...options };
  const abs = path.resolve(file);
  if (!(await exists(abs, 'file'))) throw new ModelError('model_missing', abs, 'file does not exist');
  const session = await openSession(abs, path.basename(abs), path.dirname(abs), opts);
  const spec = (m: {
    name: string;
    isTensor: boolean;
    type?: string;
    shape?: ReadonlyArray<number | string>;
  }) => ({
    name: m.name,
    type: (TENSOR_TYPES as readonly string[]).includes(m.type ?? '')
      ? (m.type as TensorSpec['type'])
      : 'float32',
    shape: (m.shape ?? []).map((d, i) => (typeof d === 'number' && d >= 0 ? d : String(d || `d${i}`))),
  });
  const manifest: Manifest = {
    schema: 'banter.model/1',
    name: path.basename(abs, '.onnx'),
    kind,
    version: '0.0.0',
    files: { model: path.basename(abs) },
    inputs: session.inputMetadata.map((m) => spec(m as Parameters<typeof spec>[0])),
    outputs: session.outputMetadata.map((m) => spec(m as Parameters<typeof spec>[0])),
  };
  return {
    dir: path.dirname(abs),
    manifest,
    session,
    file(role: string): string {
      if (role === 'model') return abs;
      throw new ModelError(
        'manifest_invalid',
        abs,
        `a bare ONNX file has no files.${role}; use a model folder`,
      );
    },
  };
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
    return this.shared(key, () => loadModel(key, expectKind, this.options), expectKind);
  }

  /** A bare ONNX file (see loadGraphFile), shared like a folder. */
  loadFile(file: string, kind: ModelKind): Promise<LoadedModel> {
    return this.shared(`file:${path.resolve(file)}`, () => loadGraphFile(file, kind, this.options), kind);
  }

  /** One load per key; a cached model asked for as another kind is model_mismatch. */
  private shared(key: string, open: () => Promise<LoadedModel>, kind?: ModelKind): Promise<LoadedModel> {
    let p = this.models.get(key);
    if (!p) {
      p = open();
      this.models.set(key, p);
      p.catch(() => this.models.delete(key));
    }
    return p.then((m) => {
      if (kind && m.manifest.kind !== kind) {
        throw new ModelError(
          'model_mismatch',
          m.dir,
          `expected a model of kind "${kind}", manifest says "${m.manifest.kind}"`,
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
