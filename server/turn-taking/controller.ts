/**
 * The turn-taking controller: a pure reducer `(state, event, nowMs) -> [state, effects]`.
 *
 * It owns no timers and does no I/O. What it wants done (cut a reply, wake it later) comes back
 * as effects, which the session executes in one place (server/session/effects.ts); a timer is an
 * effect, and its expiry comes back as an event. The decisions themselves are policies
 * (./policies.ts), small strategies in a list, so an evaluation can swap one without touching
 * the rest. Times are ms on the session audio clock, like every `t_ms` on the wire.
 */

/** What the controller knows of the conversation. */
export interface TurnState {
  /** The caller is speaking (a confirmed VAD start without its end yet). */
  userSpeaking: boolean;
  /** Onset of the caller's current (or last) utterance. */
  userStartMs: number | null;
  /** The reply on the air, from its first frame queued to its last frame sent or its cut. */
  reply: { id: string; interruptible: boolean; resumable: boolean; paused: boolean } | null;
  /** Timers set and not yet fired or cancelled, by name: when they are due. */
  timers: Readonly<Record<string, number>>;
  /**
   * What the recognizer last heard of the caller's current utterance (its latest partial, then
   * its final); cleared when the next utterance starts. Endpointing reads it with the
   * end-of-turn detector; nothing decides on it yet.
   */
  heard: { text: string; final: boolean; endMs: number } | null;
}

export const initialTurnState: TurnState = Object.freeze({
  userSpeaking: false,
  userStartMs: null,
  reply: null,
  timers: Object.freeze({}),
  heard: null,
});

export type TurnEvent =
  /** The VAD confirmed caller speech; `outputPlaying`: the caller still has our audio to hear. */
  | { type: 'speech_start'; startMs: number; outputPlaying: boolean }
  /**
   * The speech that began at `startMs` may take the floor: it is the enrolled caller's voice
   * (`score`: its cosine with the voiceprint), or no speaker gate is on / no voiceprint exists
   * yet, so every voice counts (`score` null). Comes with or after its `speech_start`.
   */
  | { type: 'primary_speech'; startMs: number; outputPlaying: boolean; score: number | null }
  | { type: 'speech_end'; startMs: number; endMs: number }
  | { type: 'reply_start'; id: string; interruptible: boolean; resumable?: boolean }
  /** A paused reply plays again. */
  | { type: 'reply_resumed'; id: string }
  /** The reply ended by itself (every frame sent) or was cut by an interrupt effect. */
  | { type: 'reply_end'; id: string; reason: 'done' | 'interrupted' }
  /** A timer set by a `set_timer` effect is due. */
  | { type: 'timer'; name: string }
  /** The recognizer's hypothesis of the current utterance (partial) or its last word on it (final). */
  | { type: 'transcript'; kind: 'partial' | 'final'; text: string; endMs: number };

export type TurnEffect =
  /** Stop the reply now: drop what is queued, tell the caller to drop what it holds. */
  | { type: 'interrupt'; replyId: string; reason: 'barge_in' }
  /** Stop the reply's audio but keep the reply (its producer, its position): it may play on. */
  | { type: 'pause'; replyId: string; reason: 'barge_in' }
  /** Send the controller `{type: 'timer', name}` once the audio clock reaches `dueMs` (replaces a timer of that name). */
  | { type: 'set_timer'; name: string; dueMs: number }
  | { type: 'cancel_timer'; name: string };

/**
 * One decision rule. It sees the state after the event's facts were applied (and the state
 * before, for rules that react to a change) and returns the effects it wants; it keeps no
 * state of its own outside TurnState.
 */
export interface TurnPolicy {
  readonly name: string;
  decide(state: TurnState, event: TurnEvent, nowMs: number, before: TurnState): TurnEffect[];
}

/** Applies one event: first its facts, then every policy in order, then the effects' own consequences. */
export function reduceTurn(
  state: TurnState,
  event: TurnEvent,
  nowMs: number,
  policies: readonly TurnPolicy[],
): [TurnState, TurnEffect[]] {
  const observed = observe(state, event);
  const effects: TurnEffect[] = [];
  let next = observed;
  for (const policy of policies) {
    for (const effect of policy.decide(next, event, nowMs, state)) {
      // Two policies asking to cut the same reply cut it once.
      if ((effect.type === 'interrupt' || effect.type === 'pause') && next.reply?.id !== effect.replyId)
        continue;
      effects.push(effect);
      next = consequence(next, effect);
    }
  }
  return [next, effects];
}

/** The facts an event establishes, whatever the policies decide. */
function observe(state: TurnState, event: TurnEvent): TurnState {
  switch (event.type) {
    case 'speech_start':
      return { ...state, userSpeaking: true, userStartMs: event.startMs, heard: null };
    case 'speech_end':
      return { ...state, userSpeaking: false };
    case 'primary_speech':
      return state;
    case 'reply_start':
      return {
        ...state,
        reply: {
          id: event.id,
          interruptible: event.interruptible,
          resumable: event.resumable ?? false,
          paused: false,
        },
      };
    case 'reply_resumed':
      return state.reply?.id === event.id ? { ...state, reply: { ...state.reply, paused: false } } : state;
    case 'reply_end':
      return state.reply?.id === event.id ? { ...state, reply: null } : state;
    case 'timer': {
      const { [event.name]: _fired, ...timers } = state.timers;
      return { ...state, timers };
    }
    case 'transcript':
      return { ...state, heard: { text: event.text, final: event.kind === 'final', endMs: event.endMs } };
  }
}

/** What an effect changes in the state once it is executed (executing it is the session's job). */
function consequence(state: TurnState, effect: TurnEffect): TurnState {
  switch (effect.type) {
    case 'interrupt':
      return { ...state, reply: null };
    case 'pause':
      return state.reply ? { ...state, reply: { ...state.reply, paused: true } } : state;
    case 'set_timer':
      return { ...state, timers: { ...state.timers, [effect.name]: effect.dueMs } };
    case 'cancel_timer': {
      const { [effect.name]: _cancelled, ...timers } = state.timers;
      return { ...state, timers };
    }
  }
}

const NO_TIMERS: readonly string[] = Object.freeze([]);

function hasAny(record: Readonly<Record<string, unknown>>): boolean {
  for (const _ in record) return true;
  return false;
}

/** A controller bound to its policies: holds the state between events for one session. */
export class TurnController {
  private current: TurnState = initialTurnState;

  constructor(readonly policies: readonly TurnPolicy[]) {}

  get state(): TurnState {
    return this.current;
  }

  dispatch(event: TurnEvent, nowMs: number): TurnEffect[] {
    const [state, effects] = reduceTurn(this.current, event, nowMs, this.policies);
    this.current = state;
    return effects;
  }

  /** Names of timers due at `nowMs`, earliest first. */
  dueTimers(nowMs: number): readonly string[] {
    // Called after every 32 ms frame, and almost always with no timer set: skip the allocations then.
    if (!hasAny(this.current.timers)) return NO_TIMERS;
    return Object.entries(this.current.timers)
      .filter(([, due]) => due <= nowMs)
      .sort((a, b) => a[1] - b[1])
      .map(([name]) => name);
  }
}
