/**
 * Start-up errors of the model registry, one table (mirrored in docs/models.md).
 * All are fatal at start-up: the server refuses to run with a model it cannot trust.
 */
export const MODEL_ERRORS = {
  model_missing: 'model folder, manifest.json or a file it lists does not exist',
  manifest_invalid: 'manifest.json is not valid JSON or does not match the manifest schema',
  model_corrupt: 'a model file cannot be read or parsed, or its sha256 differs from the manifest',
  model_mismatch:
    "the model's actual inputs/outputs, kind or tokenizer do not match what the manifest declares",
} as const;

export type ModelErrorCode = keyof typeof MODEL_ERRORS;

/** A model could not be loaded; `code` is machine-readable, `dir` is the folder the user configured. */
export class ModelError extends Error {
  constructor(
    readonly code: ModelErrorCode,
    readonly dir: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`${code}: ${detail} (model folder ${dir})`, options);
    this.name = 'ModelError';
  }
}
