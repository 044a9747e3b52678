/**
 * Codecs as ONNX graphs, described by the manifest's `codec` section (contract `rvq-codec/1`):
 * banter's own (models/codec, trained by models/training/codec) and external exports with the
 * same shape of decoder, tokens [batch, K, frames] in and audio out (EnCodec, DAC and Mimi
 * exports are such graphs; SNAC's three token rates are not). docs/models.md, "Codecs", says
 * how to describe one and which were tried.
 *
 * Two ways to stream, by what the graph offers:
 * - stateful (banter's): the graph takes and returns its state (`decoder.state`), so chunk
 *   after chunk equals one whole decode exactly;
 * - stateless: each chunk is decoded with the previous `context_frames` frames in front and
 *   only the new frames' samples are kept: close to a whole decode where the decoder's
 *   receptive field is short, not equal.
 *
 * At load the graph is checked against the section (codebooks, state size, output length),
 * and probed with the first and last valid token and one past it, so a manifest that states
 * the wrong codebook size is a start-up `model_mismatch`, not noise mid-call.
 */
import ort from 'onnxruntime-node';
import { z } from 'zod';
import { type LoadedModel, ModelError, type ModelRegistry, parseSection } from '../../models/registry.ts';
import { TensorSpec } from '../../models/manifest.ts';
import {
  type CodecDecoder,
  type CodecEncoder,
  type CodecInfo,
  type CodeFrames,
  type DecodedChunk,
  type DecoderState,
  checkCodes,
  concatFrames,
  sliceFrames,
} from './codec.ts';

export const CODEC_CONTRACTS = ['rvq-codec/1'] as const;

export const CodecSection = z.strictObject({
  contract: z.enum(CODEC_CONTRACTS),
  /** K, the codebooks per frame; the decoder input's second dimension. */
  codebooks: z.number().int().positive(),
  /** Entries per codebook. */
  codebook_size: z.number().int().positive(),
  /** Samples per token frame at `rates.sample_rate_hz` (320 for 50 Hz at 16 kHz). */
  frame_samples: z.number().int().positive(),
  /** A token meaning "no token" (banter's: codebook_size), or left out. */
  absent_token: z.number().int().nonnegative().optional(),
  decoder: z.strictObject({
    /** Input name of the tokens, [batch, K, frames], int64 or int32. */
    codes: z.string().min(1),
    /** Output name of the audio, [batch, samples] or [batch, 1, samples]. */
    audio: z.string().min(1),
    /** The graph's recurrent state, one float32 [batch, size] in and out; left out for a stateless decoder. */
    state: z
      .strictObject({
        input: z.string().min(1),
        output: z.string().min(1),
        size: z.number().int().positive(),
      })
      .optional(),
    /** Stateless decoders: frames of left context decoded again with each chunk. Default 8. */
    context_frames: z.number().int().nonnegative().default(8),
  }),
  /** The encoder graph, if the folder has one (files.<file>): audio [batch, samples] in, codes out. */
  encoder: z
    .strictObject({
      file: z.string().min(1),
      audio: z.string().min(1),
      codes: z.string().min(1),
      inputs: z.array(TensorSpec).optional(),
      outputs: z.array(TensorSpec).optional(),
    })
    .optional(),
  /** Audio the decoder needs beyond a frame before that frame's samples are final, ms (banter's: 0). */
  lookahead_ms: z.number().nonnegative().default(0),
});
export type CodecSection = z.infer<typeof CodecSection>;

export interface LoadedCodec {
  readonly decoder: CodecDecoder;
  /** Present when the folder has an encoder graph. */
  readonly encoder: CodecEncoder | null;
  readonly section: CodecSection;
}

type TokenType = 'int64' | 'int32';

function tokenTensor(c: CodeFrames, type: TokenType): ort.Tensor {
  const dims = [1, c.codebooks, c.frames];
  return type === 'int64'
    ? new ort.Tensor(
        'int64',
        BigInt64Array.from(c.data, (t) => BigInt(t)),
        dims,
      )
    : new ort.Tensor('int32', Int32Array.from(c.data), dims);
}

function fromTokenTensor(t: ort.Tensor): CodeFrames {
  const [, codebooks, frames] = t.dims;
  const src = t.data as BigInt64Array | Int32Array;
  const data = new Int32Array(src.length);
  for (let i = 0; i < src.length; i++) data[i] = Number(src[i]);
  return { codebooks, frames, data };
}

function codecInfo(model: LoadedModel, section: CodecSection): CodecInfo {
  const { manifest, dir } = model;
  const sampleRate = manifest.rates?.sample_rate_hz;
  if (!sampleRate) throw new ModelError('manifest_invalid', dir, 'a codec needs rates.sample_rate_hz');
  const fps = manifest.rates?.frames_per_second;
  if (fps !== undefined && Math.abs(fps * section.frame_samples - sampleRate) > 1e-6 * sampleRate) {
    throw new ModelError(
      'manifest_invalid',
      dir,
      `rates.frames_per_second ${fps} x codec.frame_samples ${section.frame_samples} is not rates.sample_rate_hz ${sampleRate}`,
    );
  }
  return {
    label: `${manifest.name}@${manifest.version}`,
    sampleRate,
    frameSamples: section.frame_samples,
    codebooks: section.codebooks,
    codebookSize: section.codebook_size,
    absentToken: section.absent_token ?? null,
  };
}

function tokenType(spec: TensorSpec | undefined, dir: string, what: string): TokenType {
  if (!spec) throw new ModelError('model_mismatch', dir, `${what} is not in the manifest's tensors`);
  if (spec.type !== 'int64' && spec.type !== 'int32') {
    throw new ModelError('model_mismatch', dir, `${what} is ${spec.type}; tokens are int64 or int32`);
  }
  return spec.type;
}

function checkCodebooksDim(spec: TensorSpec, section: CodecSection, dir: string): void {
  const k = spec.shape[1];
  if (spec.shape.length !== 3 || (typeof k === 'number' && k !== section.codebooks)) {
    throw new ModelError(
      'model_mismatch',
      dir,
      `"${spec.name}" is [${spec.shape.join(', ')}]; codec.codebooks is ${section.codebooks} ([batch, ${section.codebooks}, frames])`,
    );
  }
}

/** The decoder of an already loaded codec folder (the registry shares the session). */
export async function createOnnxDecoder(
  model: LoadedModel,
): Promise<{ decoder: CodecDecoder; section: CodecSection }> {
  const { manifest, dir, session } = model;
  const section = parseSection(manifest, 'codec', CodecSection, dir);
  const info = codecInfo(model, section);
  const codesSpec = manifest.inputs.find((t) => t.name === section.decoder.codes);
  const type = tokenType(codesSpec, dir, `decoder input "${section.decoder.codes}"`);
  checkCodebooksDim(codesSpec!, section, dir);
  if (!manifest.outputs.some((t) => t.name === section.decoder.audio)) {
    throw new ModelError(
      'model_mismatch',
      dir,
      `decoder output "${section.decoder.audio}" is not in outputs`,
    );
  }
  const st = section.decoder.state;
  if (st) {
    for (const [name, list] of [
      [st.input, manifest.inputs],
      [st.output, manifest.outputs],
    ] as const) {
      const spec = list.find((t) => t.name === name);
      const size = spec?.shape.at(-1);
      if (!spec || (typeof size === 'number' && size !== st.size)) {
        throw new ModelError(
          'model_mismatch',
          dir,
          `state "${name}" is not [batch, ${st.size}] in the manifest`,
        );
      }
    }
  }

  const run = async (codes: CodeFrames, state: Float32Array | null, quiet: boolean) => {
    const feeds: Record<string, ort.Tensor> = { [section.decoder.codes]: tokenTensor(codes, type) };
    if (st) feeds[st.input] = new ort.Tensor('float32', state!, [1, st.size]);
    // quiet: the probe's refused token is expected; onnxruntime would log it as an error.
    const out = await session.run(feeds, quiet ? { logSeverityLevel: 4 } : {});
    const audio = out[section.decoder.audio].data as Float32Array;
    return { audio, next: st ? Float32Array.from(out[st.output].data as Float32Array) : null };
  };

  /** One chunk through the graph, tokens unchecked (the probe sends invalid ones on purpose). */
  const chunk = async (codes: CodeFrames, state: DecoderState, quiet = false): Promise<DecodedChunk> => {
    const want = codes.frames * info.frameSamples;
    if (codes.frames === 0) return { pcm: new Float32Array(0), state };
    if (st) {
      const { audio, next } = await run(codes, state.tensor ?? new Float32Array(st.size), quiet);
      if (audio.length !== want) {
        throw new ModelError(
          'model_mismatch',
          dir,
          `decoder wrote ${audio.length} samples for ${codes.frames} frames, not ${want}`,
        );
      }
      return {
        pcm: Float32Array.from(audio),
        state: { frames: state.frames + codes.frames, tensor: next, context: null },
      };
    }
    const input = state.context ? concatFrames(state.context, codes) : codes;
    const { audio } = await run(input, null, quiet);
    const keep = section.decoder.context_frames;
    return {
      pcm: Float32Array.from(audio.subarray(Math.max(0, audio.length - want))),
      state: {
        frames: state.frames + codes.frames,
        tensor: null,
        context: keep ? sliceFrames(input, input.frames - keep) : null,
      },
    };
  };

  const decoder: CodecDecoder = {
    ...info,
    exactStreaming: st !== undefined,
    initialState(): DecoderState {
      return { frames: 0, tensor: st ? new Float32Array(st.size) : null, context: null };
    },
    async decodeChunk(codes: CodeFrames, state: DecoderState): Promise<DecodedChunk> {
      checkCodes(codes, info);
      return chunk(codes, state);
    },
    async decode(codes: CodeFrames): Promise<Float32Array> {
      return (await decoder.decodeChunk(codes, decoder.initialState())).pcm;
    },
  };
  await probe(chunk, decoder.initialState(), info, dir);
  return { decoder, section };
}

/** One frame of token `t` in every codebook. */
const frameOf = (k: number, t: number): CodeFrames => ({
  codebooks: k,
  frames: 1,
  data: new Int32Array(k).fill(t),
});

/** Decode the first and last valid tokens (and the absent one); tokens past them must be refused. */
async function probe(
  chunk: (codes: CodeFrames, state: DecoderState, quiet?: boolean) => Promise<DecodedChunk>,
  initial: DecoderState,
  info: CodecInfo,
  dir: string,
): Promise<void> {
  const k = info.codebooks;
  const valid = [0, info.codebookSize - 1, ...(info.absentToken === null ? [] : [info.absentToken])];
  for (const t of valid) {
    let pcm: Float32Array;
    try {
      pcm = (await chunk(frameOf(k, t), initial)).pcm;
    } catch (err) {
      if (err instanceof ModelError) throw err;
      throw new ModelError('model_mismatch', dir, `decoding token ${t} failed: ${(err as Error).message}`, {
        cause: err,
      });
    }
    if (pcm.length !== info.frameSamples) {
      throw new ModelError(
        'model_mismatch',
        dir,
        `${pcm.length} samples for one frame, codec.frame_samples is ${info.frameSamples}`,
      );
    }
  }
  // Tokens the graph must refuse: one past every valid token, and codebook_size itself unless
  // it is the absent token (a graph that decodes it has more entries than the manifest says).
  const invalid = [
    Math.max(...valid) + 1,
    ...(info.absentToken === info.codebookSize ? [] : [info.codebookSize]),
  ];
  for (const t of new Set(invalid)) {
    const accepted = await chunk(frameOf(k, t), initial, true).then(
      () => true,
      () => false,
    );
    if (accepted) {
      throw new ModelError(
        'model_mismatch',
        dir,
        `the graph decodes token ${t}: its codebooks have more entries than codec.codebook_size ${info.codebookSize} says`,
      );
    }
  }
}

/** The encoder graph of a codec folder, if its section names one. */
export async function createOnnxEncoder(
  model: LoadedModel,
  section: CodecSection,
  registry: ModelRegistry,
): Promise<CodecEncoder | null> {
  const enc = section.encoder;
  if (!enc) return null;
  const info = codecInfo(model, section);
  const graph = await registry.loadFile(model.file(enc.file), 'codec');
  const { dir } = model;
  const input = graph.manifest.inputs.find((t) => t.name === enc.audio);
  const output = graph.manifest.outputs.find((t) => t.name === enc.codes);
  if (!input || !output) {
    throw new ModelError(
      'model_mismatch',
      dir,
      `encoder graph lacks input "${enc.audio}" or output "${enc.codes}"`,
    );
  }
  return {
    ...info,
    async encode(pcm: Float32Array): Promise<CodeFrames> {
      const frames = Math.floor(pcm.length / info.frameSamples);
      if (frames === 0) return { codebooks: info.codebooks, frames: 0, data: new Int32Array(0) };
      const samples = pcm.subarray(0, frames * info.frameSamples);
      const out = await graph.session.run({
        [enc.audio]: new ort.Tensor('float32', Float32Array.from(samples), [1, samples.length]),
      });
      const codes = fromTokenTensor(out[enc.codes]);
      if (codes.codebooks !== info.codebooks) {
        throw new ModelError(
          'model_mismatch',
          dir,
          `encoder wrote ${codes.codebooks} codebooks, codec.codebooks is ${info.codebooks}`,
        );
      }
      return codes;
    },
  };
}

/** Load (once per folder and registry) the codec in `dir` (banter's own: `bundledModelDir('codec')`). */
export async function loadCodec(dir: string, registry: ModelRegistry): Promise<LoadedCodec> {
  const model = await registry.load(dir, 'codec');
  const { decoder, section } = await createOnnxDecoder(model);
  return { decoder, section, encoder: await createOnnxEncoder(model, section, registry) };
}
