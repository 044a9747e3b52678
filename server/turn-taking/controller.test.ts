import { describe, expect, it } from 'vitest';
import {
  TurnController,
  initialTurnState,
  reduceTurn,
  type TurnEvent,
  type TurnPolicy,
} from './controller.ts';
import { bargeInOnSpeech, createPolicies, TurnTakingOptions } from './policies.ts';

const start = (outputPlaying: boolean, startMs = 1000): TurnEvent => ({
  type: 'speech_start',
  startMs,
  outputPlaying,
});
/** Speech that may take the floor (no speaker gate: every voice, right after its start). */
const claim = (outputPlaying: boolean, startMs = 1000): TurnEvent => ({
  type: 'primary_speech',
  startMs,
  outputPlaying,
  score: null,
});

/** Runs scripted [event, nowMs] pairs through one controller; returns every effect with its time. */
function script(policies: readonly TurnPolicy[], steps: [TurnEvent, number][]) {
  const c = new TurnController(policies);
  const effects = steps.flatMap(([event, now]) => c.dispatch(event, now).map((e) => ({ now, ...e })));
  return { c, effects };
}

describe('turn-taking controller: barge-in on voice activity', () => {
  const policies = createPolicies(TurnTakingOptions.parse({ bargeIn: 'vad', falseInterruption: 'stop' }));

  it('cuts an interruptible reply the caller is still hearing, once', () => {
    const { c, effects } = script(policies, [
      [{ type: 'reply_start', id: 'g1', interruptible: true }, 0],
      [start(true, 1600), 1676],
      [claim(true, 1600), 1676],
      [{ type: 'speech_end', startMs: 1600, endMs: 2400 }, 2800],
      [start(true, 3000), 3076],
      [claim(true, 3000), 3076],
    ]);
    expect(effects).toEqual([{ now: 1676, type: 'interrupt', replyId: 'g1', reason: 'barge_in' }]);
    expect(c.state.reply).toBeNull();
    expect(c.state.userStartMs).toBe(3000);
  });

  it('leaves a reply alone when the caller no longer hears it, when it is not interruptible, or when none plays', () => {
    expect(
      script(policies, [
        [{ type: 'reply_start', id: 'a', interruptible: true }, 0],
        [start(false), 100],
        [claim(false), 100],
      ]).effects,
    ).toEqual([]);
    expect(
      script(policies, [
        [{ type: 'reply_start', id: 'b', interruptible: false }, 0],
        [start(true), 100],
        [claim(true), 100],
      ]).effects,
    ).toEqual([]);
    expect(
      script(policies, [
        [start(true), 100],
        [claim(true), 100],
      ]).effects,
    ).toEqual([]);
  });

  it('a reply that ended is not cut later; a stale end does not clear the next reply', () => {
    const { c, effects } = script(policies, [
      [{ type: 'reply_start', id: 'a', interruptible: true }, 0],
      [{ type: 'reply_end', id: 'a', reason: 'done' }, 500],
      [start(true), 600],
      [claim(true), 600],
      [{ type: 'reply_start', id: 'b', interruptible: true }, 700],
      [{ type: 'reply_end', id: 'a', reason: 'done' }, 800],
    ]);
    expect(effects).toEqual([]);
    expect(c.state.reply).toEqual({ id: 'b', interruptible: true, resumable: false, paused: false });
  });

  it('speech the speaker gate has not accepted (a start without a primary_speech) leaves the reply alone', () => {
    const { effects } = script(createPolicies(TurnTakingOptions.parse({})), [
      [{ type: 'reply_start', id: 'a', interruptible: true, resumable: true }, 0],
      [start(true, 100), 164],
      [{ type: 'speech_end', startMs: 100, endMs: 1500 }, 1900],
    ]);
    expect(effects).toEqual([]);
  });

  it("'never' plays every reply to the end", () => {
    const { effects } = script(createPolicies(TurnTakingOptions.parse({ bargeIn: 'never' })), [
      [{ type: 'reply_start', id: 'a', interruptible: true }, 0],
      [start(true), 100],
      [claim(true), 100],
    ]);
    expect(effects).toEqual([]);
  });

  it('two policies asking to cut the same reply cut it once', () => {
    const { effects } = script(
      [bargeInOnSpeech(false), { ...bargeInOnSpeech(false), name: 'again' }],
      [
        [{ type: 'reply_start', id: 'a', interruptible: true }, 0],
        [start(true), 100],
        [claim(true), 100],
      ],
    );
    expect(effects.filter((e) => e.type === 'interrupt')).toHaveLength(1);
  });
});

describe('turn-taking controller: false interruptions', () => {
  const policies = createPolicies(TurnTakingOptions.parse({}));

  it('pauses a resumable reply once, cuts the greeting, and pauses again after a resume', () => {
    const { c, effects } = script(policies, [
      [{ type: 'reply_start', id: 'g', interruptible: true }, 0],
      [start(true, 500), 560],
      [claim(true, 500), 560],
      [{ type: 'reply_end', id: 'g', reason: 'interrupted' }, 560],
      [{ type: 'reply_start', id: 'r', interruptible: true, resumable: true }, 3000],
      [start(true, 4000), 4060],
      [claim(true, 4000), 4060],
      [start(true, 4600), 4660],
      [claim(true, 4600), 4660], // still paused: nothing more
      [{ type: 'reply_resumed', id: 'r' }, 5200],
      [start(true, 6000), 6060],
      [claim(true, 6000), 6060],
    ]);
    expect(effects.map((e) => [e.type, 'replyId' in e ? e.replyId : null, e.now])).toEqual([
      ['interrupt', 'g', 560],
      ['pause', 'r', 4060],
      ['pause', 'r', 6060],
    ]);
    expect(c.state.reply).toMatchObject({ id: 'r', paused: true });
  });

  it("'stop' cuts a resumable reply at once (the no-resume baseline)", () => {
    const { effects } = script(createPolicies(TurnTakingOptions.parse({ falseInterruption: 'stop' })), [
      [{ type: 'reply_start', id: 'r', interruptible: true, resumable: true }, 0],
      [start(true), 100],
      [claim(true), 100],
    ]);
    expect(effects.map((e) => e.type)).toEqual(['interrupt']);
  });
});

describe('turn-taking controller: what the caller said', () => {
  it('keeps the latest transcript of the current utterance and forgets it when the next one starts', () => {
    let state = initialTurnState;
    const step = (e: Parameters<typeof reduceTurn>[1]) =>
      ([state] = reduceTurn(state, e, 0, [bargeInOnSpeech(false)]));
    step({ type: 'speech_start', startMs: 100, outputPlaying: false });
    step({ type: 'transcript', kind: 'partial', text: 'i want to bo', endMs: 900 });
    expect(state.heard).toEqual({ text: 'i want to bo', final: false, endMs: 900 });
    step({ type: 'speech_end', startMs: 100, endMs: 1400 });
    step({ type: 'transcript', kind: 'final', text: 'i want to book', endMs: 1800 });
    expect(state.heard).toEqual({ text: 'i want to book', final: true, endMs: 1800 });
    step({ type: 'speech_start', startMs: 2500, outputPlaying: false });
    expect(state.heard).toBeNull();
  });
});

describe('turn-taking controller: pure reducer and timers', () => {
  it('never mutates the state it is given', () => {
    const frozen = Object.freeze({
      ...initialTurnState,
      reply: Object.freeze({ id: 'a', interruptible: true, resumable: false, paused: false }),
    });
    const [next, effects] = reduceTurn(frozen, claim(true), 100, [bargeInOnSpeech(false)]);
    expect(effects).toHaveLength(1);
    expect(frozen.reply).toEqual({ id: 'a', interruptible: true, resumable: false, paused: false });
    expect(next.reply).toBeNull();
  });

  it('a timer is an effect, held in the state until it is due, then comes back as an event', () => {
    // A policy that wants to hear again 2 s after the caller stops (the shape of false-interruption recovery).
    const fired: string[] = [];
    const later: TurnPolicy = {
      name: 'later',
      decide(state, event, nowMs) {
        if (event.type === 'speech_end') return [{ type: 'set_timer', name: 'resume', dueMs: nowMs + 2000 }];
        if (event.type === 'speech_start' && 'resume' in state.timers)
          return [{ type: 'cancel_timer', name: 'resume' }];
        if (event.type === 'timer') fired.push(event.name);
        return [];
      },
    };
    const c = new TurnController([later]);
    expect(c.dispatch({ type: 'speech_end', startMs: 0, endMs: 900 }, 1300)).toEqual([
      { type: 'set_timer', name: 'resume', dueMs: 3300 },
    ]);
    expect(c.dueTimers(3299)).toEqual([]);
    expect(c.dueTimers(3300)).toEqual(['resume']);
    c.dispatch({ type: 'timer', name: 'resume' }, 3300);
    expect(fired).toEqual(['resume']);
    expect(c.state.timers).toEqual({});

    c.dispatch({ type: 'speech_end', startMs: 4000, endMs: 4500 }, 4900);
    expect(c.dispatch(start(false, 5000), 5100)).toEqual([{ type: 'cancel_timer', name: 'resume' }]);
    expect(c.dueTimers(99_999)).toEqual([]);
  });
});
