/**
 * The duplex LLM's seam (the stage arrives with the TDM LLM issue). Time is cut into slices;
 * in each the model reads what the caller said in that slice (possibly nothing, plus turn-taking
 * signals) and writes its own slice: text, staying idle, or the end of its reply. One
 * conversation object per session holds the one token stream (and KV cache) across slices.
 */

/** Turn-taking facts the controller tells the model at a slice boundary. */
export type SliceSignal =
  | { type: 'end_of_turn'; probability: number }
  | { type: 'barge_in' }
  | { type: 'false_interruption' }
  /** The caller heard this much of the reply that was cut: the model's history keeps only that. */
  | { type: 'heard'; replyId: string; text: string };

export interface UserSlice {
  /** Words the caller said in this slice, ASR-style (lower case, no punctuation); '' for none. */
  text: string;
  signals: SliceSignal[];
  /** The slice's span on the session audio clock; it may close early on a turn-taking event. */
  startMs: number;
  endMs: number;
}

export type SliceOutput =
  | { type: 'text'; delta: string }
  /** Nothing to say in this slice. */
  | { type: 'idle' }
  /** The reply is complete. */
  | { type: 'end' };

export interface DuplexConversation {
  /**
   * Feeds one user slice and yields the model's slice. Aborting `signal` stops generation
   * mid-slice; the tokens already produced stay in the stream.
   */
  step(slice: UserSlice, signal: AbortSignal): AsyncIterable<SliceOutput>;
  close(): void;
}

/** A loaded model or backend (local ONNX, an OpenAI-compatible server), shared by every session. */
export interface DuplexModel {
  readonly label: string;
  /** The slice clock the model was trained for, ms. */
  readonly sliceMs: number;
  createConversation(options?: { system?: string }): DuplexConversation;
}
