/**
 * banter's own TTS: text deltas -> clauses (./clauses.ts) -> words and espeak-ng phonemes
 * (./phonemes.ts) -> the codec LM writes token frames pass by pass (./codec-lm/codec-lm.ts) ->
 * the codec decodes each run of frames at once, its state carried through the clause
 * (./codec/) -> audio chunks at the pipeline rate, each with the words that begin in it.
 *
 * First audio comes as soon as the first frame is complete (K passes for delay and
 * stack-delay, K for flat). Pausing is the reply handle's (it keeps every chunk and plays on
 * from any point); stopping is the signal: no pass runs after it aborts. Word positions come
 * from the LM's word-progress head: a word starts at the first frame whose count of words
 * begun passes it; its end is filled in (on the same object) when the next word starts or
 * the clause ends.
 */
import { z } from 'zod';
import { PIPELINE_SAMPLE_RATE } from '../audio/rates.ts';
import { createResampler } from '../audio/resampler.ts';
import { createSampler, repetitionAwareSampler, type HistorySampler } from '../duplex-llm/sampling.ts';
import { ModelError } from '../models/registry.ts';
import { DEFAULT_CLAUSES, clausesOf } from './clauses.ts';
import type { CodecDecoder } from './codec/codec.ts';
import { type CodecLmModel, CodecLmDecoder, type LmSampling } from './codec-lm/codec-lm.ts';
import { phonemizeWords } from './phonemes.ts';
import type { SpokenWord, SynthesisChunk, Synthesizer } from './synthesizer.ts';

export const CodecLmTtsOptions = z.strictObject({
  /** The codec LM's folder; default models/codec-lm. */
  lmModel: z.string().optional(),
  /** The codec's folder; default models/codec. */
  codecModel: z.string().optional(),
  temperature: z.number().nonnegative().default(0.8),
  topK: z.number().int().nonnegative().default(0),
  topP: z.number().positive().max(1).default(0.9),
  /** VALL-E 2's repetition-aware resampling (window 10, threshold 0.1). Default on. */
  repetitionAware: z.boolean().default(true),
  seed: z.number().int().default(1),
  /** Longest clause, ms of audio: a clause the LM does not end by then is cut. Default 12000. */
  maxClauseMs: z.number().positive().default(12_000),
  firstClauseWords: z.number().int().positive().default(DEFAULT_CLAUSES.firstMaxWords),
  /**
   * Later clauses' word limit. Default 6: the LM is trained on spans of at most 2 s of whole
   * words (codec_lm/train.py --max-frames), about six words; longer clauses go beyond it.
   */
  clauseWords: z.number().int().positive().default(6),
  firstClauseWaitMs: z.number().nonnegative().default(60),
});
export type CodecLmTtsOptions = z.infer<typeof CodecLmTtsOptions>;

/** A clause's words as the TTS data wrote them: lowercase spoken form, the mark after each. */
export function ttsWords(clause: string): { word: string; punct: string }[] {
  const out: { word: string; punct: string }[] = [];
  for (const token of clause.split(/\s+/)) {
    const m = /^(.*?)([,.?!]*)$/u.exec(token.replace(/[\u2018\u2019]/g, "'"))!;
    const word = m[1].toLowerCase().replace(/[^\p{L}\p{N}']/gu, '');
    if (!word) {
      if (out.length && m[2]) out[out.length - 1].punct ||= m[2][0];
      continue;
    }
    out.push({ word, punct: m[2][0] ?? '' });
  }
  return out;
}

/** Phoneme ids of a clause, as models/training/codec_lm/data.py encodes them. */
export function phonemeIds(words: { phonemes: string; punct: string }[], vocab: readonly string[]): number[] {
  const id = new Map(vocab.map((s, i) => [s, i]));
  const unk = id.get('<unk>') ?? 1;
  const ids: number[] = [];
  words.forEach((w, i) => {
    if (i) ids.push(id.get(' ') ?? unk);
    for (const ch of w.phonemes) ids.push(id.get(ch) ?? unk);
    if (w.punct) ids.push(id.get(w.punct) ?? unk);
  });
  return ids;
}

function sampling(o: CodecLmTtsOptions, heads: number): LmSampling {
  const per: HistorySampler[] = Array.from({ length: heads }, (_, k) => {
    const nucleus = createSampler({
      temperature: o.temperature,
      topK: o.topK,
      topP: o.topP,
      seed: o.seed * 131 + k,
    });
    if (!o.repetitionAware) return (logits) => nucleus(logits);
    const full = createSampler({
      temperature: o.temperature,
      topK: 0,
      topP: 1,
      seed: o.seed * 131 + k + 65_537,
    });
    return repetitionAwareSampler(nucleus, full);
  });
  return { pick: (head, logits, history) => per[head](logits, history) };
}

/** Linear fade to silence over the last `n` samples, in place. */
function fadeOut(pcm: Float32Array, n: number): void {
  const len = Math.min(n, pcm.length);
  for (let i = 0; i < len; i++) pcm[pcm.length - 1 - i] *= i / len;
}

export class CodecLmSynthesizer implements Synthesizer {
  readonly label: string;
  private readonly frameMs: number;

  constructor(
    private readonly lm: CodecLmModel,
    private readonly codec: CodecDecoder,
    private readonly options: CodecLmTtsOptions = CodecLmTtsOptions.parse({}),
  ) {
    const s = lm.section;
    if (s.codebooks !== codec.codebooks || s.codebook_size !== codec.codebookSize) {
      throw new ModelError(
        'model_mismatch',
        lm.label,
        `the codec LM writes ${s.codebooks} x ${s.codebook_size} tokens, the codec ${codec.label} takes ${codec.codebooks} x ${codec.codebookSize}`,
      );
    }
    const fps = codec.sampleRate / codec.frameSamples;
    if (Math.abs(fps - s.codec.frames_per_second) > 1e-6) {
      throw new ModelError(
        'model_mismatch',
        lm.label,
        `trained on ${s.codec.frames_per_second} frames/s, the codec has ${fps}`,
      );
    }
    this.frameMs = 1000 / fps;
    this.label = `${lm.label}+${codec.label}`;
  }

  async *synthesize(text: AsyncIterable<string>, signal: AbortSignal): AsyncIterable<SynthesisChunk> {
    const o = this.options;
    const pick = sampling(o, this.lm.section.codebooks);
    const maxFrames = Math.ceil(o.maxClauseMs / this.frameMs);
    let offsetMs = 0;
    const clauses = clausesOf(text, signal, {
      firstMaxWords: o.firstClauseWords,
      maxWords: o.clauseWords,
      firstClauseWaitMs: o.firstClauseWaitMs,
    });
    for await (const clause of clauses) {
      const words = ttsWords(clause);
      if (words.length === 0) continue;
      const ipa = await phonemizeWords(words.map((w) => w.word));
      if (signal.aborted) return;
      const ids = phonemeIds(
        words.map((w, i) => ({ phonemes: ipa[i], punct: w.punct })),
        this.lm.section.phonemes,
      );
      const decoder = new CodecLmDecoder(
        this.lm,
        ids,
        pick,
        Math.min(maxFrames, CodecLmDecoder.capacity(this.lm, ids.length)),
      );
      let state = this.codec.initialState();
      let begun = 0;
      let last: SpokenWord | null = null;
      let frames = 0;
      // One converter per clause, so chunk edges are not resampled apart (a no-op at 16 kHz).
      const resampler = await createResampler(this.codec.sampleRate, PIPELINE_SAMPLE_RATE);
      try {
        while (!decoder.done) {
          if (signal.aborted) return;
          const chunk = await decoder.next(signal);
          if (signal.aborted) return;
          if (chunk.frames.frames === 0) continue;
          const r = await this.codec.decodeChunk(chunk.frames, state);
          state = r.state;
          // The clause ends here: the decoder's overlap tail is not played, so the last 5 ms
          // fade out rather than stop on a sample that may not be near zero.
          if (chunk.done) fadeOut(r.pcm, Math.round(this.codec.sampleRate * 0.005));
          const spoken: SpokenWord[] = [];
          chunk.wordsBegun.forEach((n, i) => {
            const at = offsetMs + (chunk.from + i) * this.frameMs;
            for (; begun < Math.min(n, words.length); begun++) {
              if (last) last.endMs = at;
              last = { text: words[begun].word, startMs: at, endMs: at };
              spoken.push(last);
            }
          });
          frames = chunk.from + chunk.frames.frames;
          yield { pcm: resampler.process(r.pcm), words: spoken };
        }
      } finally {
        resampler.destroy();
      }
      const endMs = offsetMs + frames * this.frameMs;
      if (last) (last as SpokenWord).endMs = endMs;
      // Words the progress head never reached are put at the clause's end, so that a cut
      // reply's heard text never claims them early.
      if (begun < words.length) {
        yield {
          pcm: new Float32Array(0),
          words: words.slice(begun).map((w) => ({ text: w.word, startMs: endMs, endMs })),
        };
      }
      offsetMs = endMs;
    }
  }
}
