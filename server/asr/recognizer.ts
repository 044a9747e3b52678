/**
 * The streaming speech recognizer's seam (the stage arrives with the ASR issue). Frames in at
 * the pipeline rate, transcripts out as they firm up. Every time is ms on the session audio
 * clock, so a transcript lines up with the VAD events and with `t_ms` on the wire.
 */

export interface RecognizedWord {
  text: string;
  startMs: number;
  endMs: number;
  /** 0..1 where the backend gives one. */
  confidence?: number;
}

export interface Transcript {
  /** 'partial': may still change; 'final': the recognizer's last word on this stretch of speech. */
  kind: 'partial' | 'final';
  /**
   * The part that will not change any more (for a final: all of it), then the part that may.
   * A consumer that reacts to words (end-of-turn, the duplex LLM) reads `stable` first.
   */
  stable: string;
  unstable: string;
  words: RecognizedWord[];
  startMs: number;
  endMs: number;
}

/** One session's recognition stream. Calls to push must not overlap (the session awaits each). */
export interface RecognizerStream {
  /** Caller audio at the pipeline rate, in order; `atMs` is the audio clock at the chunk's first sample. */
  push(samples: Float32Array, atMs: number): Promise<void>;
  /** The caller's speech ended (VAD end, or the session ends): finalize what is pending. */
  endpoint(): Promise<void>;
  /** Transcripts as they are produced, until close(). */
  readonly transcripts: AsyncIterable<Transcript>;
  /** Forget the current utterance (after an endpoint the stream starts afresh by itself). */
  reset(): void;
  close(): void;
}

/** A loaded recognizer, shared by every session (one model session, per-stream state only). */
export interface Recognizer {
  /** e.g. "banter-asr@1.0.0" or "sherpa-onnx:<folder>". */
  readonly label: string;
  createStream(): RecognizerStream;
}
