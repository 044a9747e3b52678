/**
 * A writer clock that advances with the caller's audio instead of the wall clock
 * (`session.start {clock: "audio"}`): `now()` is the session audio clock, and every processed
 * frame is a tick that runs the writer's pacing. Streaming a recording faster than real time
 * then yields the same output timeline that real time would.
 */
import type { WriterClock } from './outbound-writer.ts';

export class AudioClock implements WriterClock {
  private readonly callbacks = new Map<number, () => void>();
  private nextId = 1;

  constructor(readonly now: () => number) {}

  setInterval(fn: () => void): unknown {
    this.callbacks.set(this.nextId, fn);
    return this.nextId++;
  }

  clearInterval(handle: unknown): void {
    this.callbacks.delete(handle as number);
  }

  tick(): void {
    for (const fn of [...this.callbacks.values()]) fn();
  }
}
