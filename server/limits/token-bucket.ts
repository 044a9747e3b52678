/**
 * A token bucket: `burst` tokens, refilled at `perSecond`. The one rate limiter behind the
 * connection limits (the error budget, the bad-input log): it allows short bursts a real client
 * can produce and bounds what a hostile one costs, with no timer of its own.
 */
export interface BucketOptions {
  /** Tokens available at once (and the most the bucket holds). */
  burst: number;
  /** Tokens added per second; 0 never refills. */
  perSecond: number;
}

export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly options: BucketOptions,
    /** Milliseconds, monotonic (injected in tests). */
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = options.burst;
    this.last = now();
  }

  /** Takes one token; false when none is left (the caller refuses, drops or closes). */
  take(): boolean {
    const t = this.now();
    this.tokens = Math.min(
      this.options.burst,
      this.tokens + ((t - this.last) / 1000) * this.options.perSecond,
    );
    this.last = t;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
