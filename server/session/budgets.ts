/**
 * Timeout and lead budgets of a session, in one place because they only make sense in order.
 * From shortest to longest:
 *
 * 1. The writer's lead (config.writer.leadMs, 120 ms): audio on the wire ahead of playback. It is
 *    what a barge-in cannot take back, so it stays well under the 150 ms barge-in target.
 * 2. STAGE_CANCEL_GRACE_MS: how long a stage (TTS, LLM, a reply's feeder) may take to honour its
 *    AbortSignal before the session stops waiting for it. Longer than one chunk of work, and still
 *    short enough that closing never visibly hangs on a stage that ignores the signal.
 * 3. REPLY_AHEAD_MS: how far ahead of the writer's queue a reply's producer may push. Larger than
 *    the lead, so the writer never starves while a producer keeps pace; small enough that an
 *    interruption throws little synthesized audio away.
 * 4. SHUTDOWN_DRAIN_MS: how long a server shutdown waits for sessions to finish the input they
 *    accepted; under the 10 s a container runtime allows between SIGTERM and SIGKILL.
 * 5. The writer's stall timeout (config.writer.stallTimeoutMs, 10 s): a caller that reads nothing
 *    for this long is closed as slow_consumer. Longest, so a short network hiccup never ends a call.
 */

export const STAGE_CANCEL_GRACE_MS = 250;

export const REPLY_AHEAD_MS = 1000;

/** Chunk size in which audio that exists whole (the greeting) is pushed into its reply. */
export const REPLY_CHUNK_MS = 200;

export const SHUTDOWN_DRAIN_MS = 5000;
