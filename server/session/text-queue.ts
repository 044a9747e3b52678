/**
 * Text deltas from the LLM to the synthesizer: pushed as they are written, read as an async
 * iterable (the Synthesizer interface), ended once the reply's text is complete.
 */
export class TextQueue implements AsyncIterable<string> {
  private readonly items: string[] = [];
  private ended = false;
  private wake: (() => void) | null = null;

  push(delta: string): void {
    if (this.ended || delta === '') return;
    this.items.push(delta);
    this.wakeUp();
  }

  end(): void {
    this.ended = true;
    this.wakeUp();
  }

  private wakeUp(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<string> {
    for (;;) {
      if (this.items.length > 0) {
        yield this.items.shift()!;
        continue;
      }
      if (this.ended) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }
}
