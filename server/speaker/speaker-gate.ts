/**
 * The personalized VAD's seam (the stage arrives with the pVAD issue): per frame, how likely
 * it is that the enrolled primary speaker is the one speaking, so that noise and other voices
 * never take the floor. A speaker encoder (fbank in, L2-normalized embedding out) enrolls the
 * caller; the gate compares each stretch of speech with that voiceprint.
 */

export interface SpeakerEmbedding {
  /** L2-normalized. */
  vector: Float32Array;
  /** ms of speech it was computed from. */
  speechMs: number;
}

export interface SpeakerEncoder {
  readonly label: string;
  readonly dimension: number;
  /** Embedding of speech at the pipeline rate. */
  embed(samples: Float32Array): Promise<SpeakerEmbedding>;
}

/** One session's gate. Calls to process must not overlap. */
export interface SpeakerGateStream {
  /** Enrolled voiceprint, or null until enrollment completes. */
  readonly enrolled: SpeakerEmbedding | null;
  enroll(embedding: SpeakerEmbedding): void;
  /** P(primary speaker speaking) for one VAD frame at the pipeline rate. */
  process(frame: Float32Array): Promise<number>;
  reset(): void;
}

export interface SpeakerGate {
  readonly label: string;
  createStream(): SpeakerGateStream;
}
