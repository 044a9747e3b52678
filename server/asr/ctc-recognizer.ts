/**
 * banter's streaming CTC recognizer (contract `banter-ctc/1`, trained by
 * models/training/asr/): caller audio -> Kaldi fbank -> the chunk-step ONNX graph, whose two
 * caches are carried from chunk to chunk -> greedy CTC decoding. The cost of a chunk does not
 * grow with the utterance, and any chunking gives the same transcript as the whole.
 */
import ort from 'onnxruntime-node';
import { z } from 'zod';
import { Fbank } from '../audio/features/fbank.ts';
import { type LoadedModel, type ModelRegistry, parseSection } from '../models/registry.ts';
import { ModelError } from '../models/errors.ts';
import { BeamCtcDecoder, type BeamOptions, defaultBeamOptions } from './ctc-beam-decoder.ts';
import { type CtcDecoder, GreedyCtcDecoder } from './ctc-decoder.ts';
import { ArpaLm } from './ngram-lm.ts';
import type { Recognizer, RecognizerStream, TranscriptListener } from './recognizer.ts';

const AsrSection = z.strictObject({
  contract: z.literal('banter-ctc/1'),
  features: z.strictObject({
    type: z.literal('kaldi-fbank'),
    num_mel_bins: z.number().int().positive(),
    input_scale: z.number().positive(),
  }),
  subsampling: z.number().int().positive(),
  conv_context: z.number().int().nonnegative(),
  state_shape: z.tuple([z.number().int().positive(), z.literal(1), z.number().int().positive()]),
  symbols: z.array(z.string().min(1)).min(2),
  blank: z.number().int().nonnegative(),
  separator: z.string().length(1),
  /** Beam search with a word LM (`files[lm]`, ARPA); without it, greedy decoding. */
  decoder: z
    .strictObject({
      type: z.literal('beam'),
      lm: z.string().min(1),
      beam_width: z.number().int().positive(),
      lm_weight: z.number().nonnegative(),
      word_bonus: z.number(),
    })
    .optional(),
});
type AsrSection = z.infer<typeof AsrSection>;

export interface CtcRecognizerOptions {
  /**
   * Feature frames (10 ms each) per model call, a multiple of the model's subsampling. Default:
   * the largest multiple not over 16 (15 for a 30 ms model): a partial every 160 ms at most.
   */
  chunkFrames?: number;
  /** 'manifest' (default): what the folder declares; 'greedy' forces greedy decoding (for comparisons). */
  decoder?: 'manifest' | 'greedy';
  /** Overrides of the manifest's beam settings (for tuning). */
  beam?: Partial<BeamOptions>;
}

const DEFAULT_CHUNK_MS = 160;

export async function loadCtcRecognizer(
  dir: string,
  registry: ModelRegistry,
  options: CtcRecognizerOptions = {},
): Promise<Recognizer> {
  const model = await registry.load(dir, 'asr');
  const asr = parseSection(model.manifest, 'asr', AsrSection, model.dir);
  const s = asr.subsampling;
  const chunkFrames = options.chunkFrames ?? Math.max(s, Math.floor(DEFAULT_CHUNK_MS / 10 / s) * s);
  if (chunkFrames <= 0 || chunkFrames % s !== 0)
    throw new RangeError(`chunkFrames must be a positive multiple of the subsampling (${s})`);
  const base = { vocab: asr.symbols, blank: asr.blank, separator: asr.separator, frameMs: 10 * s };
  let makeDecoder: () => CtcDecoder = () => new GreedyCtcDecoder(base);
  if (asr.decoder && options.decoder !== 'greedy') {
    const d = asr.decoder;
    const lmPath = model.file(d.lm);
    let lm: ArpaLm;
    try {
      lm = ArpaLm.load(lmPath);
    } catch (err) {
      throw new ModelError('model_corrupt', model.dir, `language model ${d.lm}: ${String(err)}`, {
        cause: err,
      });
    }
    const beam: BeamOptions = {
      ...defaultBeamOptions,
      beamWidth: d.beam_width,
      lmWeight: d.lm_weight,
      wordBonus: d.word_bonus,
      ...options.beam,
    };
    makeDecoder = () => new BeamCtcDecoder(lm, { ...base, ...beam });
  }
  const decoding = asr.decoder && options.decoder !== 'greedy' ? 'beam+lm' : 'greedy';
  return {
    label: `${model.manifest.name}@${model.manifest.version}${decoding === 'greedy' && asr.decoder ? ' (greedy)' : ''}`,
    createStream: (onTranscript) => new CtcStream(model, asr, chunkFrames, makeDecoder(), onTranscript),
  };
}

export class CtcStream implements RecognizerStream {
  private readonly fbank: Fbank;
  private readonly decoder: CtcDecoder;
  private readonly bins: number;
  private pending: Float32Array[] = [];
  private convCache!: ort.Tensor;
  private state!: ort.Tensor;
  /** The next push starts an utterance: its `atMs` is the decoder's time origin. */
  private fresh = true;
  private lastPartial = '';
  private closed = false;

  constructor(
    private readonly model: LoadedModel,
    private readonly asr: AsrSection,
    private readonly chunkFrames: number,
    decoder: CtcDecoder,
    private readonly onTranscript: TranscriptListener,
  ) {
    this.bins = asr.features.num_mel_bins;
    this.fbank = new Fbank({ numMelBins: this.bins, inputScale: asr.features.input_scale });
    this.decoder = decoder;
    this.resetCaches();
  }

  async push(samples: Float32Array, atMs: number): Promise<void> {
    if (this.fresh) {
      this.decoder.reset(atMs);
      this.fresh = false;
    }
    await this.pushFeatures(this.fbank.push(samples));
  }

  /** Feature frames (num_mel_bins each) straight in: for callers that compute their own, and for parity tests. */
  async pushFeatures(frames: Float32Array[]): Promise<Float32Array[]> {
    this.pending.push(...frames);
    const out: Float32Array[] = [];
    while (this.pending.length >= this.chunkFrames)
      out.push(await this.run(this.pending.splice(0, this.chunkFrames)));
    if (out.length > 0) this.emitPartial();
    return out;
  }

  async endpoint(): Promise<void> {
    const whole = this.pending.length - (this.pending.length % this.asr.subsampling);
    if (whole > 0) await this.run(this.pending.splice(0, whole));
    const final = this.decoder.final();
    this.reset();
    if (!this.closed) this.onTranscript(final);
  }

  reset(): void {
    this.pending = [];
    this.fbank.reset();
    this.resetCaches();
    this.fresh = true;
    this.lastPartial = '';
  }

  close(): void {
    this.closed = true;
    this.reset();
  }

  /** One model call on `frames` (whole strides); returns its log-probabilities, row-major. */
  private async run(frames: Float32Array[]): Promise<Float32Array> {
    const feats = new Float32Array(frames.length * this.bins);
    frames.forEach((f, i) => feats.set(f, i * this.bins));
    const out = await this.model.session.run({
      feats: new ort.Tensor('float32', feats, [1, frames.length, this.bins]),
      conv_cache: this.convCache,
      state: this.state,
    });
    this.convCache = out.conv_cache_out as ort.Tensor;
    this.state = out.state_out as ort.Tensor;
    const logProbs = out.log_probs.data as Float32Array;
    this.decoder.push(logProbs, frames.length / this.asr.subsampling);
    return logProbs;
  }

  private emitPartial(): void {
    const p = this.decoder.partial();
    const text = `${p.stable}|${p.unstable}`;
    if (text !== this.lastPartial && (p.stable || p.unstable) && !this.closed) this.onTranscript(p);
    this.lastPartial = text;
  }

  private resetCaches(): void {
    const [layers, , hidden] = this.asr.state_shape;
    const c = this.asr.conv_context;
    this.convCache = new ort.Tensor('float32', new Float32Array(c * this.bins), [1, c, this.bins]);
    this.state = new ort.Tensor('float32', new Float32Array(layers * hidden), [layers, 1, hidden]);
  }
}
