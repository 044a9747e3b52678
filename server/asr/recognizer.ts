/**
 * The streaming speech recognizer's seam. Frames in at the pipeline rate, transcripts out as
 * they firm up. Every time is ms on the session audio clock, so a transcript lines up with the
 * VAD events and with `t_ms` on the wire. Backends: banter's own CTC model (ctc-recognizer.ts)
 * and sherpa-onnx model folders (sherpa-recognizer.ts), chosen by config (recognizers.ts).
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

/**
 * Receives a stream's transcripts. Called before the push or endpoint that produced them
 * resolves, so whoever awaits those calls has seen every transcript they caused.
 */
export type TranscriptListener = (t: Transcript) => void;

/** One session's recognition stream. Calls to push must not overlap (the session awaits each). */
export interface RecognizerStream {
  /**
   * Caller audio at the pipeline rate, in order; `atMs` is the audio clock at the chunk's first
   * sample. The first push after creation, an endpoint or a reset starts an utterance there.
   */
  push(samples: Float32Array, atMs: number): Promise<void>;
  /** The caller's speech ended (VAD end, or the session ends): finalize what is pending (one `final`). */
  endpoint(): Promise<void>;
  /** Forget the current utterance without a final. */
  reset(): void;
  /** Releases the stream; no transcript follows. */
  close(): void;
}

/** A loaded recognizer, shared by every session (one model session, per-stream state only). */
export interface Recognizer {
  /** e.g. "banter-asr@1.0.0" or "sherpa-onnx:<folder>". */
  readonly label: string;
  createStream(onTranscript: TranscriptListener): RecognizerStream;
  /** Releases what the recognizer holds (native handles); the registry closes ONNX sessions. */
  close?(): void;
}
