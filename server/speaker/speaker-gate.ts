/**
 * The personalized VAD's seams. A speaker encoder (fbank in, L2-normalized embedding out:
 * ./speaker-encoder.ts loads banter's and WeSpeaker/3D-Speaker models) makes the caller's
 * voiceprint. The baseline that uses it today is ./floor-gate.ts: Silero finds speech, the
 * gate scores each stretch against the voiceprint. `SpeakerGate` below is the seam of the
 * learned frame-level model still to come (issue 13): per VAD frame, how likely it is that
 * the enrolled caller is the one speaking.
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
  /**
   * Same-voice thresholds by length of the stretch scored (banter's: the cosine only 5% of
   * other voices reach, set on its dev speakers), when the model comes with them.
   */
  readonly thresholds?: readonly { speech_ms: number; cosine: number }[];
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
