/** Which PCM16 formats the client asks for, given what the browser runs at. */
import { PCM_SAMPLE_RATES } from '../../server/protocol/messages.ts';

/** Every frame of caller audio lasts this long, ms. */
export const CAPTURE_FRAME_MS = 20;
/** The AudioContext rate unless the page asks for another: the rate the VAD runs at, so nothing is resampled twice. */
export const DEFAULT_RATE = 16000;

/**
 * The AudioContext (and wire) rate: the requested one when the server speaks
 * it for pcm16, else DEFAULT_RATE. The browser resamples between the devices
 * and the context, so the client never resamples itself.
 */
export function contextRateFor(requested?: number): number {
  return requested !== undefined && (PCM_SAMPLE_RATES as readonly number[]).includes(requested)
    ? requested
    : DEFAULT_RATE;
}

/** Duration of a PCM16 mono frame of `bytes` bytes, ms. */
export function pcm16DurationMs(bytes: number, sampleRate: number): number {
  return (bytes / 2 / sampleRate) * 1000;
}
