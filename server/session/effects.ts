/**
 * Where the controller's effects are carried out: the one place that turns turn-taking
 * decisions (data) into actions on the session's parts.
 */
import type { TurnEffect } from '../turn-taking/controller.ts';

export interface EffectPorts {
  /** Cut reply `replyId` now (it may already be over: then nothing happens). */
  interrupt(replyId: string, reason: 'barge_in'): void;
  /** Pause reply `replyId` (its audio stops, it may play on). */
  pause(replyId: string, reason: 'barge_in'): void;
}

export function executeTurnEffects(effects: readonly TurnEffect[], ports: EffectPorts): void {
  for (const effect of effects) {
    switch (effect.type) {
      case 'interrupt':
        ports.interrupt(effect.replyId, effect.reason);
        break;
      case 'pause':
        ports.pause(effect.replyId, effect.reason);
        break;
      case 'set_timer':
      case 'cancel_timer':
        // Timers are part of the controller's state; the session fires the due ones on the
        // audio clock after every frame (TurnController.dueTimers), so nothing is scheduled here.
        break;
    }
  }
}
