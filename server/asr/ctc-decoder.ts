/**
 * Greedy CTC decoding, streaming: per-frame log-probabilities in, transcripts with word times
 * out. With a causal acoustic model a frame's decision never changes once made, so every word
 * followed by a word separator is final; only the word still being spelled may change (it can
 * grow). That is the partial's `unstable` tail.
 */
import type { RecognizedWord, Transcript } from './recognizer.ts';

export interface CtcDecoderOptions {
  /** Output symbols by index; index `blank` is the CTC blank. */
  vocab: readonly string[];
  blank: number;
  /** The symbol between words. Default ' '. */
  separator: string;
  /** Duration of one output frame, ms (20 for banter's model: 10 ms fbank hop, subsampled by 2). */
  frameMs: number;
}

/** What the recognizer needs of a decoder: greedy (this file) or beam search (ctc-beam-decoder.ts). */
export interface CtcDecoder {
  reset(atMs?: number): void;
  push(logProbs: Float32Array, frames: number): void;
  partial(): Transcript;
  final(): Transcript;
}

interface Spelled {
  text: string;
  firstFrame: number;
  lastFrame: number;
}

export class GreedyCtcDecoder implements CtcDecoder {
  private readonly o: CtcDecoderOptions;
  private previous: number;
  private frame = 0;
  private words: Spelled[] = [];
  private current: Spelled | null = null;
  /** Session-clock time of this utterance's first frame. */
  private originMs = 0;

  constructor(options: Partial<CtcDecoderOptions> & Pick<CtcDecoderOptions, 'vocab' | 'blank'>) {
    this.o = { separator: ' ', frameMs: 20, ...options };
    this.previous = this.o.blank;
  }

  /** Starts a new utterance whose first frame is at `atMs` on the session clock. */
  reset(atMs = 0): void {
    this.previous = this.o.blank;
    this.frame = 0;
    this.words = [];
    this.current = null;
    this.originMs = atMs;
  }

  /** Consumes `frames` rows of log-probabilities (row-major, vocab.length per row). */
  push(logProbs: Float32Array, frames: number): void {
    const v = this.o.vocab.length;
    if (logProbs.length !== frames * v)
      throw new RangeError(`expected ${frames} x ${v} scores, got ${logProbs.length}`);
    for (let t = 0; t < frames; t++, this.frame++) {
      let best = 0;
      for (let k = 1; k < v; k++) if (logProbs[t * v + k] > logProbs[t * v + best]) best = k;
      if (best !== this.previous && best !== this.o.blank) this.emit(this.o.vocab[best]);
      // A symbol held over several frames: the word lasts until its last frame.
      else if (best === this.previous && best !== this.o.blank && this.current)
        this.current.lastFrame = this.frame;
      this.previous = best;
    }
  }

  /** What is heard so far: finished words are stable, the word being spelled is not. */
  partial(): Transcript {
    return this.transcript(
      'partial',
      this.current ? [...this.words, this.current] : this.words,
      this.current?.text,
    );
  }

  /** The utterance is over: everything becomes final, and the decoder starts afresh after it. */
  final(): Transcript {
    if (this.current) this.words.push(this.current);
    const t = this.transcript('final', this.words, undefined);
    this.reset(this.originMs + this.frame * this.o.frameMs);
    return t;
  }

  private emit(symbol: string): void {
    if (symbol === this.o.separator) {
      if (this.current) this.words.push(this.current);
      this.current = null;
    } else if (this.current) {
      this.current.text += symbol;
      this.current.lastFrame = this.frame;
    } else {
      this.current = { text: symbol, firstFrame: this.frame, lastFrame: this.frame };
    }
  }

  private transcript(kind: Transcript['kind'], spelled: Spelled[], unstable: string | undefined): Transcript {
    const ms = (frame: number) => this.originMs + frame * this.o.frameMs;
    const words: RecognizedWord[] = spelled.map((w) => ({
      text: w.text,
      startMs: ms(w.firstFrame),
      endMs: ms(w.lastFrame + 1),
    }));
    const stableWords = unstable === undefined ? words : words.slice(0, -1);
    return {
      kind,
      stable: stableWords.map((w) => w.text).join(' '),
      unstable: unstable ?? '',
      words,
      startMs: words[0]?.startMs ?? ms(0),
      endMs: ms(this.frame),
    };
  }
}
