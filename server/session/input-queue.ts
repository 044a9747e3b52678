/**
 * The serial chain of a session's caller input, with input backpressure. Every input is handled
 * in arrival order, one at a time, so a marker answered from the chain is a flush barrier: all
 * audio before it has been processed. Audio waiting in the chain is counted; above the backlog
 * limit the connection stops reading (TCP pushes back on the caller) until half of it is done.
 */

export interface InputQueueOptions {
  /** Caller audio waiting to be processed before reading stops, ms. */
  maxBacklogMs: number;
  pause(): void;
  resume(): void;
  /** A task threw: the session decides what that means (it closes with `internal`). */
  onError(err: unknown): void;
}

export class InputQueue {
  private chain: Promise<void> = Promise.resolve();
  private backlog = 0;
  private paused = false;

  constructor(private readonly options: InputQueueOptions) {}

  /** ms of accepted audio not yet processed. */
  get backlogMs(): number {
    return this.backlog;
  }

  enqueue(task: () => Promise<void> | void): void {
    this.chain = this.chain.then(task).catch((err: unknown) => this.options.onError(err));
  }

  /** Queues the processing of `ms` of caller audio, pausing the connection while too much waits. */
  enqueueAudio(ms: number, task: () => Promise<void>): void {
    const o = this.options;
    this.backlog += ms;
    if (!this.paused && this.backlog > o.maxBacklogMs) {
      this.paused = true;
      o.pause();
    }
    this.enqueue(async () => {
      try {
        await task();
      } finally {
        this.backlog -= ms;
        if (this.paused && this.backlog < o.maxBacklogMs / 2) {
          this.paused = false;
          o.resume();
        }
      }
    });
  }

  /** Resolves once every input accepted so far has been handled. */
  drained(): Promise<void> {
    return this.chain;
  }
}
