/**
 * The conversation of one session: caller words and turn-taking facts in, banter's replies out.
 *
 * Time is cut into the duplex model's slices on the session audio clock (docs/tdm.md). A slice
 * gathers the words the recognizer gave in it, whether the caller's voice was active, and the
 * facts the session established (the caller fell silent: with the end-of-turn probability of
 * what they said; a barge-in paused banter: with what the caller had heard; a reply finished
 * playing). It closes after `sliceMs`, or early at an end of turn or a barge-in so the model
 * answers without waiting out the slice. The model's slice comes back as decisions:
 *
 * - text: the words go to the synthesizer of the current reply (the first ones start a reply);
 * - continue: a reply paused by a barge-in plays on from the start of the word it was cut in;
 * - stop: the paused reply is abandoned (the model keeps only what the caller heard);
 * - end: the reply's text is complete; idle: nothing.
 *
 * Model, synthesizer and end-of-turn detector are injected; the session gives it ports to the
 * playout and the caller, so it is tested with fakes and a scripted clock.
 */
import type { Transcript } from '../asr/recognizer.ts';
import type { DuplexConversation, SliceOutput, SliceSignal, UserSlice } from '../duplex-llm/duplex-model.ts';
import type { SpokenWord, Synthesizer } from '../tts/synthesizer.ts';
import type { EotContext } from '../turn-taking/eot.ts';
import { isBackchannel } from '../turn-taking/backchannels.ts';
import { normalizeAsr } from '../turn-taking/eot-text.ts';
import type { TimelineEvent } from './events.ts';
import type { ReplyHandle } from './reply.ts';
import { TextQueue } from './text-queue.ts';

export interface DialogueOptions {
  /** The slice length, ms (the model's). */
  sliceMs: number;
  /**
   * How the end of the caller's turn is judged once they fall silent: 'model' (the end-of-turn
   * detector on what they said) or 'silence' (probability 1: every pause ends the turn, the
   * silence-timer baseline of an evaluation).
   */
  endOfTurn: 'model' | 'silence';
  /** How far the synthesizer may run ahead of playback, ms. */
  aheadMs: number;
  /** With a recognizer: how long a speech end waits for its final transcript before the end of turn is judged without it, ms. */
  finalWaitMs: number;
  /**
   * The longest silence after the caller's words before banter answers anyway, ms: if the model
   * has not started a reply by then, it is told again that the turn is over, now for sure
   * (probability 1). The long endpointing delay of an unsure end of turn; 0 turns it off.
   */
  answerByMs: number;
}

export interface DialoguePorts {
  clockMs(): number;
  /** Starts a reply on the air (resumable). */
  beginReply(): ReplyHandle;
  emit(event: TimelineEvent): void;
  report(code: 'llm_failed' | 'tts_failed', message: string): void;
  /** A stage failed in a way the conversation survives (logged, not sent). */
  warn(message: string, err: unknown): void;
  /** A paused reply plays again (the turn controller may pause it again on the next barge-in). */
  resumed(handle: ReplyHandle): void;
  /** Runs a reply's producer under the session's supervision. */
  track(task: Promise<void>): void;
  /** P(turn complete) of the caller's words; null without a detector. */
  endOfTurn: ((text: string, context: EotContext) => Promise<number>) | null;
  /** True when a recognizer gives words (a speech end then waits for its final). */
  hasRecognizer: boolean;
}

/** Silent slices after a reply's audio ran out before its text is taken as complete (see checkStall). */
const STALL_SLICES = 2;

interface Reply {
  handle: ReplyHandle;
  text: TextQueue;
  /** Words of the reply in its audio, as the synthesizer placed them. */
  words: SpokenWord[];
  written: string[];
  firstAudio: boolean;
  /** Slices in a row in which the model wrote nothing while all of the reply had played. */
  stalled: number;
}

interface OpenSlice {
  startMs: number;
  words: string[];
  signals: SliceSignal[];
  voice: boolean;
}

export class Dialogue {
  private slice: OpenSlice;
  /** Slices for the model, in order, and the session's own stops between them. */
  private readonly queue: (UserSlice | { abandon: string })[] = [];
  private pumping = false;
  private reply: Reply | null = null;
  private readonly abort = new AbortController();
  /** Words of the caller's current utterance already given to the model. */
  private givenWords = 0;
  /** The caller's words since banter last spoke (the end-of-turn detector reads them). */
  private turnWords: string[] = [];
  /** The last thing banter said (context for the end-of-turn detector). */
  private lastReply = '';
  /** A speech end waiting for its final transcript: when it happened. */
  private awaitingFinal: number | null = null;
  /** After an end of turn with words: when banter answers anyway if the model has not (answerByMs). */
  private answerBy: number | null = null;
  private speaking = false;
  private closed = false;
  /** The model wrote a reply with no words in it, which never went on the air. */
  private unspoken = false;
  /**
   * Slices run from the caller's first speech on. banter's small model was trained on dialogues
   * in which banter speaks first; fed the silence before the caller says anything, it opens the
   * call itself ("you. have a ..."), over whatever greeting is playing.
   */
  private started = false;

  constructor(
    private readonly conversation: DuplexConversation,
    private readonly synthesizer: Synthesizer,
    private readonly options: DialogueOptions,
    private readonly ports: DialoguePorts,
  ) {
    this.slice = this.openSlice(ports.clockMs());
  }

  private openSlice(startMs: number): OpenSlice {
    return { startMs, words: [], signals: [], voice: this.speaking };
  }

  /** The VAD confirmed the caller's speech start. */
  speechStarted(): void {
    if (!this.started) {
      // The stream opens with the caller's first speech (see `started`).
      this.started = true;
      this.slice = this.openSlice(this.ports.clockMs());
    }
    this.speaking = true;
    this.slice.voice = true;
    this.awaitingFinal = null;
    this.answerBy = null;
  }

  /** The VAD confirmed the caller fell silent. */
  speechEnded(): void {
    this.speaking = false;
    if (this.ports.hasRecognizer) this.awaitingFinal = this.ports.clockMs();
    else void this.judgeEndOfTurn();
  }

  /** A transcript of the caller's current utterance: its new words join the slice. */
  transcript(t: Transcript): void {
    // `stable` is all of a final, and the part of a partial that will not change.
    const words = normalizeAsr(t.stable).split(' ').filter(Boolean);
    if (words.length > this.givenWords) {
      const fresh = words.slice(this.givenWords);
      this.slice.words.push(...fresh);
      this.turnWords.push(...fresh);
      this.givenWords = words.length;
    }
    if (t.kind !== 'final') return;
    const uttered = this.givenWords;
    this.givenWords = 0;
    if (!this.speaking && this.reply?.handle.state === 'paused' && this.judgeBargeIn(t.stable)) {
      // A backchannel over a reply is not a turn: the model read it, the end-of-turn judge does not.
      this.turnWords.splice(this.turnWords.length - uttered, uttered);
    }
    if (this.awaitingFinal !== null && !this.speaking) {
      this.awaitingFinal = null;
      void this.judgeEndOfTurn();
    }
  }

  /** After every audio frame: closes the slice when it is due. */
  tick(): void {
    if (!this.started) return;
    const now = this.ports.clockMs();
    if (this.awaitingFinal !== null && now - this.awaitingFinal >= this.options.finalWaitMs) {
      this.awaitingFinal = null;
      if (this.reply?.handle.state === 'paused') this.judgeBargeIn('');
      void this.judgeEndOfTurn();
    }
    if (this.answerBy !== null && now >= this.answerBy) {
      this.answerBy = null;
      if (!this.reply && !this.speaking) this.endTurn(1, this.turnWords.join(' '));
    }
    if (now - this.slice.startMs >= this.options.sliceMs) this.closeSlice(now);
  }

  /**
   * The session paused the reply on the air (caller speech over it). The model hears of it at
   * once, with what the caller had heard, and decides: stop, or continue (a false alarm).
   */
  bargedIn(handle: ReplyHandle): void {
    if (this.reply?.handle !== handle) return;
    const heard = this.heardText(this.reply, handle.heardMs);
    this.slice.signals.push({ type: 'barge_in' }, { type: 'heard', text: heard });
    this.ports.emit({
      type: 'timeline',
      event: 'paused',
      atMs: this.ports.clockMs(),
      id: handle.id,
      text: heard,
      heardMs: handle.heardMs,
    });
    this.closeSlice(this.ports.clockMs());
  }

  /**
   * The caller's speech over a paused reply is over, and this is what they said. No words or
   * only a backchannel: a false alarm, the reply plays on from the word it was cut in. Real
   * words: the caller has the floor; the reply is stopped at what they heard (the model is told
   * before it reads their words) and the words are answered as a new turn.
   */
  private judgeBargeIn(said: string): boolean {
    const reply = this.reply!;
    if (isBackchannel(said)) {
      this.resume(reply);
      return true;
    }
    const heard = this.heardText(reply, reply.handle.heardMs);
    this.queue.push({ abandon: heard });
    this.stopReply(reply);
    return false;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.abort.abort();
    this.reply?.text.end();
    // A step in flight still holds the model's cache (an ONNX run may be on it): the
    // conversation is released when that step has returned, never under it.
    if (!this.pumping) this.conversation.close();
  }

  private async judgeEndOfTurn(): Promise<void> {
    const text = this.turnWords.join(' ');
    // With a recognizer, a sound that gave no words (a cough, a door, noise the VAD let through)
    // ended nobody's turn: telling the model the caller is done would make it answer a noise.
    if (this.ports.hasRecognizer && !text) return;
    let probability = 1;
    if (this.options.endOfTurn === 'model' && this.ports.endOfTurn && text) {
      try {
        probability = await this.ports.endOfTurn(text, this.lastReply);
      } catch (err) {
        // Without the detector's opinion the pause ends the turn (the silence rule).
        this.ports.warn('end-of-turn detector failed', err);
      }
    }
    if (this.closed || this.speaking) return;
    this.endTurn(probability, text);
    if (text && probability < 1 && this.options.answerByMs > 0) {
      this.answerBy = this.ports.clockMs() + this.options.answerByMs;
    }
  }

  private endTurn(probability: number, text: string): void {
    this.slice.signals.push({ type: 'end_of_turn', probability });
    this.ports.emit({
      type: 'timeline',
      event: 'end_of_turn',
      atMs: this.ports.clockMs(),
      probability,
      text,
    });
    this.closeSlice(this.ports.clockMs());
  }

  private closeSlice(now: number): void {
    if (this.closed) return;
    const s = this.slice;
    this.queue.push({
      text: s.words.join(' '),
      signals: s.voice ? [{ type: 'voice' }, ...s.signals] : s.signals,
      startMs: s.startMs,
      endMs: Math.max(now, s.startMs),
    });
    this.slice = this.openSlice(now);
    void this.pump();
  }

  /** Steps never overlap: the model reads slices in order, one at a time. */
  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.queue.length > 0 && !this.closed) {
        const slice = this.queue.shift()!;
        if ('abandon' in slice) {
          await this.conversation.abandonReply(slice.abandon);
          continue;
        }
        for await (const out of this.conversation.step(slice, this.abort.signal)) {
          this.apply(out);
        }
      }
    } catch (err) {
      if (!this.closed) this.ports.report('llm_failed', String(err));
    } finally {
      this.pumping = false;
      if (this.closed) this.conversation.close();
    }
  }

  private apply(out: SliceOutput): void {
    const now = this.ports.clockMs();
    switch (out.type) {
      case 'text': {
        // A reply starts with a word: a lone mark (the small model sometimes opens with ".")
        // would put a breath of silence on the air and count as banter taking the floor.
        // The model still believes it spoke: it hears that its reply "played" once it ends.
        if (!this.reply && !/[\p{L}\p{N}]/u.test(out.delta)) {
          this.unspoken = true;
          return;
        }
        this.unspoken = false;
        const reply = this.reply ?? this.startReply();
        reply.text.push(out.delta);
        reply.written.push(out.delta);
        reply.stalled = 0;
        if (reply.written.length === 1) {
          this.ports.emit({
            type: 'timeline',
            event: 'llm_first_text',
            atMs: now,
            id: reply.handle.id,
            text: out.delta,
          });
        }
        return;
      }
      case 'continue': {
        const reply = this.reply;
        if (reply && reply.handle.state === 'playing') return this.checkStall(reply);
        if (!reply || reply.handle.state !== 'paused') return;
        // Never over the caller: a false alarm is over only once they are quiet again. Until
        // then the reply stays paused, and their speech end decides (judgeBargeIn).
        if (this.speaking || this.awaitingFinal !== null) return;
        this.resume(reply);
        return;
      }
      case 'stop':
        if (this.reply) this.stopReply(this.reply);
        return;
      case 'end':
        this.reply?.text.end();
        if (!this.reply && this.unspoken) this.slice.signals.push({ type: 'played' });
        this.unspoken = false;
        return;
      case 'error':
        this.ports.report('llm_failed', out.message);
        return;
      case 'idle':
        if (this.reply?.handle.state === 'playing') this.checkStall(this.reply);
        return;
    }
  }

  /**
   * The model stopped writing in mid-reply, and the caller has heard all of it. It waits for
   * `played` while the reply waits for the end of its text: a deadlock the small model walks
   * into now and then ("i" and then `<cont>` for ever). After STALL_SLICES such slices the
   * text is ended, the reply finishes, and the model hears that it played.
   */
  private checkStall(reply: Reply): void {
    const { handle } = reply;
    const caughtUp = handle.heardMs >= handle.pushedMs - 1;
    reply.stalled = caughtUp ? reply.stalled + 1 : 0;
    if (reply.stalled >= STALL_SLICES) reply.text.end();
  }

  private resume(reply: Reply): void {
    if (reply.handle.state !== 'paused') return;
    const from = this.resumePoint(reply, reply.handle.heardMs);
    reply.handle.resume(from);
    this.ports.resumed(reply.handle);
    this.ports.emit({
      type: 'timeline',
      event: 'resumed',
      atMs: this.ports.clockMs(),
      id: reply.handle.id,
      heardMs: from,
    });
  }

  /** The reply is over at what the caller heard: its audio cut, its text ended. */
  private stopReply(reply: Reply): void {
    if (this.reply === reply) this.reply = null;
    const heardMs = reply.handle.heardMs;
    const kept = this.heardText(reply, heardMs);
    reply.handle.interrupt();
    reply.text.end();
    this.lastReply = kept;
    this.ports.emit({
      type: 'timeline',
      event: 'truncated',
      atMs: this.ports.clockMs(),
      id: reply.handle.id,
      text: kept,
      heardMs,
    });
  }

  private startReply(): Reply {
    const handle = this.ports.beginReply();
    const reply: Reply = {
      handle,
      text: new TextQueue(),
      words: [],
      written: [],
      firstAudio: false,
      stalled: 0,
    };
    this.reply = reply;
    this.turnWords = [];
    this.answerBy = null;
    this.ports.track(this.produce(reply));
    void handle.done.then((outcome) => {
      if (this.reply !== reply) return;
      this.reply = null;
      reply.text.end();
      this.lastReply = reply.written.join('');
      if (outcome.reason === 'done') this.slice.signals.push({ type: 'played' });
      else {
        // Cut by the session, not by this dialogue (a barge-in with falseInterruption 'stop'):
        // the model is told its reply ended at what was heard, or it writes the rest as a new one.
        this.lastReply = this.heardText(reply, outcome.heardMs);
        this.queue.push({ abandon: this.lastReply });
        void this.pump();
      }
      this.ports.emit({
        type: 'timeline',
        event: outcome.reason === 'done' ? 'played' : 'truncated',
        atMs: this.ports.clockMs(),
        id: handle.id,
        text: outcome.reason === 'done' ? this.lastReply : this.heardText(reply, outcome.heardMs),
        heardMs: outcome.heardMs,
      });
    });
    return reply;
  }

  /** Text deltas -> synthesizer -> the reply's audio, at most `aheadMs` ahead of the caller. */
  private async produce(reply: Reply): Promise<void> {
    const { handle } = reply;
    try {
      for await (const chunk of this.synthesizer.synthesize(reply.text, handle.signal)) {
        await handle.ready(this.options.aheadMs);
        if (!handle.accepting) break;
        reply.words.push(...chunk.words);
        handle.push(chunk.pcm);
        if (!reply.firstAudio) {
          reply.firstAudio = true;
          this.ports.emit({
            type: 'timeline',
            event: 'tts_first_audio',
            atMs: this.ports.clockMs(),
            id: handle.id,
          });
        }
      }
    } catch (err) {
      if (!handle.signal.aborted) {
        this.ports.report('tts_failed', String(err));
        handle.interrupt();
        return;
      }
    }
    handle.end();
  }

  /** The words of the reply the caller heard: those that started before `heardMs`. */
  private heardText(reply: Reply, heardMs: number): string {
    return reply.words
      .filter((w) => w.startMs < heardMs)
      .map((w) => w.text)
      .join(' ');
  }

  /** Where a resumed reply plays from: the start of the word it was cut in. */
  private resumePoint(reply: Reply, heardMs: number): number {
    let from = 0;
    for (const w of reply.words) if (w.startMs <= heardMs) from = w.startMs;
    return Math.min(from, heardMs);
  }
}
