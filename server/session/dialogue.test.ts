/**
 * The dialogue driver with scripted parts: a model whose decisions the test writes per slice, a
 * synthesizer that makes 100 ms of audio per word, real ReplyHandles on a scripted sink, and a
 * clock the test moves.
 */
import { describe, expect, it } from 'vitest';
import { samplesForMs } from '../audio/rates.ts';
import type { Transcript } from '../asr/recognizer.ts';
import type { DuplexConversation, SliceOutput, UserSlice } from '../duplex-llm/duplex-model.ts';
import type { SynthesisChunk, Synthesizer } from '../tts/synthesizer.ts';
import { Dialogue, type DialogueOptions } from './dialogue.ts';
import type { TimelineEvent } from './events.ts';
import { ReplyHandle, type ReplySink } from './reply.ts';

const flush = () => new Promise((resolve) => setTimeout(resolve, 5));

/** A model that answers each slice with what `decide` says, and records what it was told. */
function scriptedModel(decide: (slice: UserSlice, n: number) => SliceOutput[]) {
  const slices: UserSlice[] = [];
  const abandoned: string[] = [];
  const conversation: DuplexConversation = {
    async *step(slice) {
      slices.push(slice);
      yield* decide(slice, slices.length - 1);
    },
    async abandonReply(heard) {
      abandoned.push(heard);
    },
    close() {},
  };
  return { conversation, slices, abandoned };
}

/** 100 ms of audio per word, each word placed at its chunk. */
const wordSynth: Synthesizer = {
  label: 'fake',
  async *synthesize(text, signal) {
    let at = 0;
    for await (const delta of text) {
      for (const word of delta.split(' ').filter(Boolean)) {
        if (signal.aborted) return;
        const chunk: SynthesisChunk = {
          pcm: new Float32Array(samplesForMs(100)).fill(0.1),
          words: [{ text: word, startMs: at, endMs: at + 100 }],
        };
        at += 100;
        yield chunk;
      }
    }
  },
};

function harness(
  decide: (slice: UserSlice, n: number) => SliceOutput[],
  options: Partial<DialogueOptions> = {},
  synthesizer: Synthesizer = wordSynth,
) {
  let now = 0;
  let played = 0;
  const finishes: (() => void)[] = [];
  const sink: ReplySink = {
    write: () => {},
    finish: (onSent) => finishes.push(onSent),
    cut: () => {},
    playedMs: () => played,
    room: () => Promise.resolve(),
    queuedEndMs: () => played,
  };
  const replies: ReplyHandle[] = [];
  const timeline: TimelineEvent[] = [];
  const reports: string[] = [];
  const model = scriptedModel(decide);
  const dialogue = new Dialogue(
    model.conversation,
    synthesizer,
    { sliceMs: 400, endOfTurn: 'model', aheadMs: 1000, finalWaitMs: 1500, answerByMs: 1200, ...options },
    {
      clockMs: () => now,
      beginReply: () => {
        const h = new ReplyHandle(`r${replies.length}`, 'reply', played, sink, true, {}, true);
        replies.push(h);
        return h;
      },
      emit: (e) => timeline.push(e),
      report: (code, message) => reports.push(`${code}: ${message}`),
      warn: () => {},
      resumed: () => {},
      track: (t) => void t,
      endOfTurn: async (text) => (text.endsWith('please') ? 0.3 : 0.95),
      hasRecognizer: true,
    },
  );
  const final = (text: string): Transcript => ({
    kind: 'final',
    stable: text,
    unstable: '',
    words: [],
    startMs: 0,
    endMs: now,
  });
  /** Moves the clock in 32 ms frames. */
  const advance = async (ms: number) => {
    for (const end = now + ms; now < end;) {
      now += 32;
      dialogue.tick();
      await flush();
    }
  };
  const say = async (text: string) => {
    dialogue.speechStarted();
    await advance(600);
    dialogue.speechEnded();
    dialogue.transcript(final(text));
    await flush();
  };
  return {
    dialogue,
    model,
    replies,
    timeline,
    reports,
    say,
    advance,
    setPlayed: (ms: number) => (played = ms),
    /** The caller, having heard `heardMs` of it, speaks over the reply: the session pauses it. */
    bargeIn: (reply: ReplyHandle, heardMs: number) => {
      played = heardMs;
      reply.pause();
      dialogue.bargedIn(reply);
    },
    finishAll: () => finishes.splice(0).forEach((f) => f()),
  };
}

const words = (text: string): SliceOutput[] => [
  ...text.split(' ').map((w, i) => ({ type: 'text' as const, delta: i ? ` ${w}` : w })),
  { type: 'end' },
];

/** A model that answers the first end of turn with `text` and otherwise says `rest`. */
function answersOnce(text: string, rest: 'idle' | 'continue') {
  let spoke = false;
  return (s: UserSlice): SliceOutput[] => {
    if (spoke || !s.signals.some((x) => x.type === 'end_of_turn')) return [{ type: rest }];
    spoke = true;
    return words(text);
  };
}

describe('dialogue', () => {
  it('slices start with the caller; an end of turn closes one early with its probability and words, and the answer is spoken', async () => {
    const h = harness((s) =>
      s.signals.some((x) => x.type === 'end_of_turn') ? words('sure thing') : [{ type: 'idle' }],
    );
    await h.advance(2000);
    expect(h.model.slices).toEqual([]); // nobody has spoken yet
    await h.say('book a table');
    const eot = h.model.slices.at(-1)!;
    expect(eot.text).toBe('book a table');
    expect(eot.signals).toContainEqual({ type: 'end_of_turn', probability: 0.95 });
    expect(h.replies).toHaveLength(1);
    await flush();
    expect(h.replies[0].pushedMs).toBe(200);
    h.finishAll();
    await h.advance(500);
    expect(h.model.slices.some((s) => s.signals.some((x) => x.type === 'played'))).toBe(true);
    expect(h.timeline.map((e) => e.event)).toEqual([
      'end_of_turn',
      'llm_first_text',
      'tts_first_audio',
      'played',
    ]);
  });

  it('an unsure end of turn gets a sure one after answerByMs of silence when the model waits', async () => {
    const h = harness(() => [{ type: 'idle' }]);
    await h.say('a table for two please');
    await h.advance(1300);
    const eots = h.model.slices.flatMap((s) => s.signals.filter((x) => x.type === 'end_of_turn'));
    expect(eots).toEqual([
      { type: 'end_of_turn', probability: 0.3 },
      { type: 'end_of_turn', probability: 1 },
    ]);
  });

  it('real words over a paused reply stop it at what was heard, and the model hears of it before it reads them', async () => {
    const h = harness((s, n) =>
      n === 0 || (s.signals.some((x) => x.type === 'end_of_turn') && n < 3)
        ? words('one two three four five')
        : [{ type: 'idle' }],
    );
    await h.say('hello there');
    const reply = h.replies[0];
    await flush();
    h.setPlayed(250); // the caller heard "one two" and part of "three"
    reply.pause();
    h.dialogue.bargedIn(reply);
    expect(h.model.slices.at(-1)!.signals).toContainEqual({ type: 'heard', text: 'one two three' });
    await h.say('what about tomorrow');
    expect(h.model.abandoned).toEqual(['one two three']);
    expect(reply.state).toBe('interrupted');
    expect(h.timeline.find((e) => e.event === 'truncated')).toMatchObject({
      id: 'r0',
      text: 'one two three',
      heardMs: 250,
    });
    expect(h.model.slices.at(-1)!.text).toBe('what about tomorrow');
  });

  it('a backchannel over a paused reply resumes it from the start of the word it was cut in; a continue while the caller speaks waits', async () => {
    const h = harness((s, n) => (n === 0 ? words('one two three four five') : [{ type: 'continue' }]));
    await h.say('hello there');
    const reply = h.replies[0];
    await flush();
    h.bargeIn(reply, 250);
    h.dialogue.speechStarted();
    await h.advance(500); // the model says continue, the caller is still speaking
    expect(reply.state).toBe('paused');
    h.dialogue.speechEnded();
    h.dialogue.transcript({ kind: 'final', stable: 'okay', unstable: '', words: [], startMs: 0, endMs: 0 });
    expect(['playing', 'ending']).toContain(reply.state);
    expect(h.timeline.find((e) => e.event === 'resumed')).toMatchObject({ id: 'r0', heardMs: 200 });
    expect(h.model.abandoned).toEqual([]);
  });

  it('a sound that gave no words ends no turn: the model is not told the caller is done', async () => {
    const h = harness(() => [{ type: 'idle' }]);
    await h.say(''); // a cough the VAD let through; the recognizer heard nothing
    await h.advance(2000);
    expect(h.timeline.filter((e) => e.event === 'end_of_turn')).toEqual([]);
    expect(h.model.slices.length).toBeGreaterThan(3);
    expect(h.model.slices.some((s) => s.signals.some((x) => x.type === 'end_of_turn'))).toBe(false);
    expect(h.model.slices[0].signals).toContainEqual({ type: 'voice' }); // the model did hear a sound
  });

  it('a backchannel that resumed a reply is not a turn: no end of turn is judged on it', async () => {
    const h = harness(answersOnce('one two three four five', 'continue'));
    await h.say('hello there');
    const reply = h.replies[0];
    await flush();
    h.bargeIn(reply, 250);
    await h.say('okay');
    await h.advance(500);
    expect(['playing', 'ending']).toContain(reply.state);
    expect(h.model.slices.some((s) => s.text === 'okay')).toBe(true);
    expect(h.timeline.filter((e) => e.event === 'end_of_turn').map((e) => e.text)).toEqual(['hello there']);
  });

  it('a reply the session cuts at once (falseInterruption stop) is abandoned at what was heard: the model is told', async () => {
    const h = harness(answersOnce('one two three four five', 'idle'));
    await h.say('hello there');
    const reply = h.replies[0];
    await flush();
    h.setPlayed(250);
    reply.interrupt();
    await flush();
    expect(h.model.abandoned).toEqual(['one two three']);
    expect(h.timeline.find((e) => e.event === 'truncated')).toMatchObject({ text: 'one two three' });
  });

  it('a reply with no word in it never goes on the air, and the model is told it played', async () => {
    const h = harness((_s, n) =>
      n === 0 ? [{ type: 'text', delta: '.' }, { type: 'end' }] : [{ type: 'idle' }],
    );
    await h.say('hello');
    await h.advance(500);
    expect(h.replies).toEqual([]);
    expect(h.model.slices[1].signals).toContainEqual({ type: 'played' });
  });

  it('a synthesizer that throws cuts its reply with tts_failed, and the next turn is answered', async () => {
    let calls = 0;
    const flaky: Synthesizer = {
      label: 'flaky',
      async *synthesize(text, signal) {
        if (calls++ === 0) throw new Error('engine died');
        yield* wordSynth.synthesize(text, signal);
      },
    };
    const h = harness(
      (s) => (s.signals.some((x) => x.type === 'end_of_turn') ? words('sure') : [{ type: 'idle' }]),
      {},
      flaky,
    );
    await h.say('hello');
    await flush();
    expect(h.reports).toEqual(['tts_failed: Error: engine died']);
    expect(h.replies[0].state).toBe('interrupted');
    await h.say('are you there');
    await flush();
    expect(h.replies).toHaveLength(2);
    expect(h.replies[1].pushedMs).toBe(100);
  });

  it('a model that fails is reported as llm_failed once per slice, and the dialogue goes on', async () => {
    const h = harness((_s, n) => {
      if (n === 0) throw new Error('backend down');
      return [{ type: 'idle' }];
    });
    await h.say('hello');
    await h.advance(900);
    expect(h.reports).toEqual(['llm_failed: Error: backend down']);
    expect(h.model.slices.length).toBeGreaterThan(2);
  });

  it('a model that stops writing in mid-reply and waits: once the caller heard all of it, the reply ends and plays', async () => {
    const h = harness((s, n) =>
      s.signals.some((x) => x.type === 'end_of_turn')
        ? [{ type: 'text', delta: 'i' }]
        : n > 0
          ? [{ type: 'continue' }]
          : [{ type: 'idle' }],
    );
    await h.say('hello');
    await h.advance(500);
    expect(h.replies).toHaveLength(1);
    h.setPlayed(10_000); // everything pushed has played
    await h.advance(900);
    expect(h.replies[0].pushedMs).toBe(100); // "i" was spoken when the text was ended
    h.finishAll();
    await h.advance(500);
    expect(h.model.slices.some((s) => s.signals.some((x) => x.type === 'played'))).toBe(true);
  });
});
