/**
 * The duplex LLM's seam (the stage arrives with the TDM LLM issue). Time is cut into slices;
 * in each the model reads what the caller said in that slice (possibly nothing, plus turn-taking
 * signals) and writes its own slice: text, staying idle, or the end of its reply. One
 * conversation object per session holds the one token stream (and KV cache) across slices.
 */

/** Turn-taking facts the controller tells the model at a slice boundary. */
export type SliceSignal =
  /** The caller fell silent in this slice; the end-of-turn model's probability that they are done. */
  | { type: 'end_of_turn'; probability: number }
  /** Voice activity (the caller's, or noise that passed the VAD) in this slice. */
  | { type: 'voice' }
  /** The caller started speaking over banter and the session paused banter's audio. */
  | { type: 'barge_in' }
  /** banter's reply finished playing: the caller heard all of it. */
  | { type: 'played' }
  /**
   * What the caller heard of the reply being spoken when it was paused. If the model then
   * stops the reply, its history keeps only that much of it.
   */
  | { type: 'heard'; text: string };

export interface UserSlice {
  /** Words the caller said in this slice, ASR-style (lower case, no punctuation); '' for none. */
  text: string;
  signals: SliceSignal[];
  /** The slice's span on the session audio clock; it may close early on a turn-taking event. */
  startMs: number;
  endMs: number;
}

export type SliceOutput =
  /** Words to speak, in order; the first delta of a reply has no leading space. */
  | { type: 'text'; delta: string }
  /** Nothing to say in this slice (or, while paused by a barge-in, stay paused). */
  | { type: 'idle' }
  /** Keep speaking what was written (or resume after a barge-in); nothing new this slice. */
  | { type: 'continue' }
  /** Abandon the reply: the caller really interrupted. */
  | { type: 'stop' }
  /** The reply's text is complete (its audio may still be playing). */
  | { type: 'end' }
  /** The backend failed (unreachable, timed out, a bad response): the session reports it and goes on listening. */
  | { type: 'error'; code: 'llm_failed'; message: string };

export interface DuplexConversation {
  /**
   * Feeds one user slice and yields the model's slice. Aborting `signal` stops generation
   * mid-slice; the tokens already produced stay in the stream.
   */
  step(slice: UserSlice, signal: AbortSignal): AsyncIterable<SliceOutput>;
  /**
   * The session stopped the reply itself (the caller's words over a paused reply were real
   * words, not a backchannel): the model's history keeps only `heard` of it, as after its own
   * stop. Called between steps, never during one.
   */
  abandonReply(heard: string): Promise<void>;
  close(): void;
}

/** A loaded model or backend (local ONNX, an OpenAI-compatible server), shared by every session. */
export interface DuplexModel {
  readonly label: string;
  /** The slice clock the model was trained for, ms. */
  readonly sliceMs: number;
  createConversation(options?: { system?: string }): DuplexConversation;
}
