/**
 * What one connection, and all of them together, may cost the server: options as data with
 * units and defaults (config.limits). Each limit answers with a coded error or a close code
 * listed in docs/protocol.md.
 */
import { z } from 'zod';

const Bucket = (burst: number, perSecond: number) =>
  z
    .strictObject({
      /** Events allowed at once. */
      burst: z.number().int().positive().default(burst),
      /** Refill, events per second. */
      perSecond: z.number().nonnegative().default(perSecond),
    })
    .prefault({});

export const ConnectionLimits = z.strictObject({
  /**
   * Connections one process serves at once; past it the WebSocket upgrade is refused with HTTP
   * 503, so a load balancer retries another instance. Default 100 (docs/PERFORMANCE.md: the VAD
   * alone keeps up with about 150 real-time sessions per core on this machine).
   */
  maxSessions: z.number().int().positive().default(100),
  /** Connections from one client address at once (behind a trusted proxy: the forwarded one); HTTP 429 past it. Default 32. */
  maxConnectionsPerAddress: z.number().int().positive().default(32),
  /** A connection that has not sent an accepted session.start this long after opening is closed (handshake_timeout, 1008), ms. Default 10000. */
  handshakeTimeoutMs: z.number().positive().default(10_000),
  /**
   * A session on which the caller has sent nothing at all (no audio, no control message) this
   * long is closed (idle_timeout, 1008): a client that answers pings but never streams would
   * hold a session slot for ever. Callers stream audio all the time, even in silence, so a
   * minute of nothing means a stuck client. 0 turns it off. Default 60000.
   */
  idleTimeoutMs: z.number().nonnegative().default(60_000),
  /**
   * WebSocket ping period, ms: a peer that has not answered the last ping when the next is due is
   * gone (a vanished phone, a dead NAT) and its connection is dropped. Default 15000.
   */
  heartbeatMs: z.number().positive().default(15_000),
  /**
   * Longest text (JSON control) frame, bytes; longer ones are dropped unread with
   * `control_too_large`. Every v1 control message fits in a few hundred bytes. Default 4096.
   */
  maxControlBytes: z.number().int().positive().default(4096),
  /**
   * Control (JSON) messages one connection may send: past it a message is dropped with
   * `rate_limited` (which also draws on the error budget, so a flood ends in a close). Generous,
   * because an evaluator streaming faster than real time reports playback faster too. Default
   * 500 at once, then 200 per second.
   */
  controlRate: Bucket(500, 200),
  /**
   * Bad messages (errors the client caused) one connection may send: a burst, then a steady rate.
   * Past it the connection is closed with `too_many_errors` (1008). Default 20, then 1 per second.
   */
  errorBudget: Bucket(20, 1),
  /**
   * Warn lines about bad client input, for the whole process; the rest are counted and the count
   * is logged with the next line allowed. Default 20, then 5 per second.
   */
  badInputLog: Bucket(20, 5),
});
export type ConnectionLimits = z.infer<typeof ConnectionLimits>;

/** Longest message text an error event carries: client input is never echoed unbounded. */
export const MAX_ERROR_MESSAGE_CHARS = 200;

/** `text` cut to `max` characters, marked as cut. */
export function truncate(text: string, max = MAX_ERROR_MESSAGE_CHARS): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
