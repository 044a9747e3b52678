/**
 * Turn-taking policies: the decision rules of the controller (./controller.ts), each a small
 * strategy, chosen by options. Endpointing (answer once the end-of-turn detector is sure) and
 * false-interruption recovery (resume a reply cut by a cough) join this list as their stages
 * arrive; each is one more entry, and the controller does not change.
 */
import { z } from 'zod';
import type { TurnPolicy } from './controller.ts';

export const TurnTakingOptions = z.strictObject({
  /**
   * When caller speech cuts a reply. 'vad' (default): any confirmed VAD start while an
   * interruptible reply is still playing to the caller. 'never': replies always play to the end
   * (a half-duplex baseline for evaluations).
   */
  bargeIn: z.enum(['vad', 'never']).default('vad'),
  /**
   * What a barge-in does to a reply (the greeting is always cut). 'resume' (default): pause it
   * with its state kept and let the duplex model decide, on what follows, to stop it (real
   * words) or play on from the word it was cut in (a cough, a backchannel, noise). 'stop': cut
   * it at once (the no-resume baseline of an evaluation).
   */
  falseInterruption: z.enum(['resume', 'stop']).default('resume'),
  /**
   * How the end of the caller's turn is judged when they fall silent: 'model' (default: the
   * end-of-turn detector on the recognizer's transcript) or 'silence' (every pause ends the
   * turn: the silence-timer baseline).
   */
  endOfTurn: z.enum(['model', 'silence']).default('model'),
  /** How long a speech end waits for the recognizer's final before the turn is judged without it, ms. Default 1500. */
  finalWaitMs: z.number().nonnegative().max(10_000).default(1500),
  /**
   * The longest silence after the caller's words before banter answers even though the
   * end-of-turn model was unsure, ms (the long endpointing delay; the short one is the model's
   * own: it answers at once on a sure end of turn). 0: only the model decides. Default 1200.
   */
  answerByMs: z.number().nonnegative().max(10_000).default(1200),
});
export type TurnTakingOptions = z.infer<typeof TurnTakingOptions>;

/**
 * Barge-in on voice activity: speech that may take the floor (`primary_speech`: the enrolled
 * caller's, or anyone's without a speaker gate) over our audio stops it, or (`pause`, for a
 * resumable reply) pauses it for the duplex model to judge.
 */
export function bargeInOnSpeech(pause: boolean): TurnPolicy {
  return {
    name: pause ? 'barge-in:vad:pause' : 'barge-in:vad',
    decide(state, event) {
      if (event.type !== 'primary_speech') return [];
      const reply = state.reply;
      if (!reply?.interruptible || reply.paused) return [];
      // A reply whose first audio is still being made is paused too: the caller has the floor.
      if (pause && reply.resumable) return [{ type: 'pause', replyId: reply.id, reason: 'barge_in' }];
      if (!event.outputPlaying) return [];
      return [{ type: 'interrupt', replyId: reply.id, reason: 'barge_in' }];
    },
  };
}

/** The policy list for a session's options, in the order the controller consults them. */
export function createPolicies(options: TurnTakingOptions): TurnPolicy[] {
  const policies: TurnPolicy[] = [];
  if (options.bargeIn === 'vad') policies.push(bargeInOnSpeech(options.falseInterruption === 'resume'));
  return policies;
}
