/**
 * The codec seam of the codec-token TTS: RVQ tokens [K, T] in, PCM out, a chunk at a time with
 * the state between chunks explicit. The codec LM (issue 12) writes tokens frame by frame; the
 * decoder turns each new run of frames into audio at once, so banter can start speaking on the
 * first frame and stop on any frame.
 *
 * Implementations: ./onnx-codec.ts (banter's own codec, models/codec, and external ONNX
 * exports described by a manifest).
 */

/** Tokens of T frames from K codebooks, codebook-major: `data[k * frames + t]` (the [K, T] of the graphs). */
export interface CodeFrames {
  readonly codebooks: number;
  readonly frames: number;
  readonly data: Int32Array;
}

/** What every codec says about itself. */
export interface CodecInfo {
  /** `name@version`, for logs and /health. */
  readonly label: string;
  /** Rate of the PCM the decoder writes and the encoder reads, Hz. */
  readonly sampleRate: number;
  /** Samples per token frame (sampleRate / frame rate). */
  readonly frameSamples: number;
  /** K: codebooks per frame, coarse to fine. */
  readonly codebooks: number;
  /** Entries per codebook: tokens are 0 .. codebookSize - 1. */
  readonly codebookSize: number;
  /**
   * A token that stands for "no token" (the codebook adds nothing), so the first k < K
   * codebooks decode alone; null where the codec has none.
   */
  readonly absentToken: number | null;
}

/**
 * Where a decode stands between chunks. Immutable: `decodeChunk` returns the next one, so a
 * caller can keep a state to go back to (a reply resumed after a false interruption).
 */
export interface DecoderState {
  /** Frames decoded since the utterance began. */
  readonly frames: number;
  /** The graph's recurrent state (a stateful decoder: convolution caches, overlap-add tails), or null. */
  readonly tensor: Float32Array | null;
  /** The last frames of tokens, decoded again as left context (a stateless decoder), or null. */
  readonly context: CodeFrames | null;
}

export interface DecodedChunk {
  /** frames x frameSamples samples at `sampleRate`, in [-1, 1]. */
  readonly pcm: Float32Array;
  readonly state: DecoderState;
}

export interface CodecDecoder extends CodecInfo {
  /**
   * True when chunk after chunk gives exactly the samples of one call over the whole
   * utterance (banter's codec); false where streaming re-decodes a window of left context
   * and is only close to it (external stateless decoders).
   */
  readonly exactStreaming: boolean;
  initialState(): DecoderState;
  /** The audio of `codes` (the frames after `state`), and the state after them. */
  decodeChunk(codes: CodeFrames, state: DecoderState): Promise<DecodedChunk>;
  /** A whole utterance at once. */
  decode(codes: CodeFrames): Promise<Float32Array>;
}

export interface CodecEncoder extends CodecInfo {
  /** PCM at `sampleRate` in [-1, 1] -> tokens of floor(samples / frameSamples) frames. */
  encode(pcm: Float32Array): Promise<CodeFrames>;
}

export class CodecError extends Error {
  constructor(
    readonly code: 'codes_invalid',
    detail: string,
  ) {
    super(`${code}: ${detail}`);
    this.name = 'CodecError';
  }
}

/** Frames from rows of tokens: `rows[k][t]`. */
export function codeFrames(rows: readonly (readonly number[])[]): CodeFrames {
  const codebooks = rows.length;
  const frames = codebooks ? rows[0].length : 0;
  const data = new Int32Array(codebooks * frames);
  rows.forEach((row, k) => {
    if (row.length !== frames)
      throw new CodecError('codes_invalid', `codebook ${k} has ${row.length} frames, not ${frames}`);
    data.set(row, k * frames);
  });
  return { codebooks, frames, data };
}

/** Frames from..to (exclusive). */
export function sliceFrames(c: CodeFrames, from: number, to = c.frames): CodeFrames {
  const a = Math.max(0, Math.min(from, c.frames));
  const b = Math.max(a, Math.min(to, c.frames));
  const frames = b - a;
  const data = new Int32Array(c.codebooks * frames);
  for (let k = 0; k < c.codebooks; k++)
    data.set(c.data.subarray(k * c.frames + a, k * c.frames + b), k * frames);
  return { codebooks: c.codebooks, frames, data };
}

/** a's frames, then b's (same K). */
export function concatFrames(a: CodeFrames, b: CodeFrames): CodeFrames {
  if (a.codebooks !== b.codebooks) {
    throw new CodecError('codes_invalid', `cannot join ${a.codebooks} and ${b.codebooks} codebooks`);
  }
  const frames = a.frames + b.frames;
  const data = new Int32Array(a.codebooks * frames);
  for (let k = 0; k < a.codebooks; k++) {
    data.set(a.data.subarray(k * a.frames, (k + 1) * a.frames), k * frames);
    data.set(b.data.subarray(k * b.frames, (k + 1) * b.frames), k * frames + a.frames);
  }
  return { codebooks: a.codebooks, frames, data };
}

/** The first `k` codebooks kept, the rest set to the absent token (a coarser codec). */
export function keepCodebooks(c: CodeFrames, k: number, absentToken: number): CodeFrames {
  const data = Int32Array.from(c.data);
  data.fill(absentToken, Math.max(0, k) * c.frames);
  return { codebooks: c.codebooks, frames: c.frames, data };
}

/** Throws `codes_invalid` unless `c` has K codebooks of valid tokens. */
export function checkCodes(c: CodeFrames, info: CodecInfo): void {
  if (c.codebooks !== info.codebooks) {
    throw new CodecError(
      'codes_invalid',
      `${c.codebooks} codebooks given, ${info.label} has ${info.codebooks}`,
    );
  }
  if (c.data.length !== c.codebooks * c.frames) {
    throw new CodecError('codes_invalid', `${c.data.length} tokens for ${c.codebooks} x ${c.frames}`);
  }
  for (const t of c.data) {
    if (!(Number.isInteger(t) && t >= 0 && (t < info.codebookSize || t === info.absentToken))) {
      throw new CodecError('codes_invalid', `token ${t} outside 0..${info.codebookSize - 1}`);
    }
  }
}
