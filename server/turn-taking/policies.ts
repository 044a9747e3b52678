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
});
export type TurnTakingOptions = z.infer<typeof TurnTakingOptions>;

/** Barge-in on voice activity: the caller's confirmed speech onset over our audio stops it. */
export const bargeInOnSpeech: TurnPolicy = {
  name: 'barge-in:vad',
  decide(state, event) {
    if (event.type !== 'speech_start' || !event.outputPlaying) return [];
    if (!state.reply?.interruptible) return [];
    return [{ type: 'interrupt', replyId: state.reply.id, reason: 'barge_in' }];
  },
};

/** The policy list for a session's options, in the order the controller consults them. */
export function createPolicies(options: TurnTakingOptions): TurnPolicy[] {
  const policies: TurnPolicy[] = [];
  if (options.bargeIn === 'vad') policies.push(bargeInOnSpeech);
  return policies;
}
