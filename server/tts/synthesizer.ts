/**
 * The speech synthesizer's seam (the stage arrives with the codec and TTS issues). Text deltas
 * in, as the LLM writes them; audio chunks out at the pipeline rate as soon as each can be made,
 * each with the words it carries, so the session knows which word the caller was hearing when
 * a reply is cut. The chunks are pushed into a ReplyHandle (server/session/reply.ts).
 */

export interface SpokenWord {
  text: string;
  /** Position of the word in the reply's audio, ms from the reply's first sample. */
  startMs: number;
  endMs: number;
}

export interface SynthesisChunk {
  /** Audio at the pipeline rate. */
  pcm: Float32Array;
  /** Words that start in this chunk. */
  words: SpokenWord[];
}

/** A loaded synthesizer (codec LM + codec decoder, or a baseline engine), shared by every session. */
export interface Synthesizer {
  readonly label: string;
  /**
   * Speaks the text as it arrives. Stops producing (and releases its work) when `signal`
   * aborts; the iterable then ends without error.
   */
  synthesize(text: AsyncIterable<string>, signal: AbortSignal): AsyncIterable<SynthesisChunk>;
}
