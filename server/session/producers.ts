/**
 * The producers a session runs (a reply's feeder today; the LLM and TTS tasks later): each one's
 * failure is reported once, and closing waits a bounded time for the ones still running.
 */
import { settleWithin } from './settle.ts';

export class Producers {
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly onError: (err: unknown) => void) {}

  add(producer: Promise<void>): void {
    const tracked = producer.catch(this.onError);
    this.running.add(tracked);
    void tracked.finally(() => this.running.delete(tracked));
  }

  /** Waits until every producer has stopped, or `ms`. */
  settle(ms: number): Promise<void> {
    return settleWithin([...this.running], ms);
  }
}
