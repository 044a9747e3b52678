/**
 * Warn logging of bad client input, bounded for the whole process: a client that sends garbage
 * as fast as it can must not fill the disk with log lines (the hardening audit saw 150 MB).
 * Lines over the budget are counted, and the count rides on the next line that is let through.
 */
import type { Logger } from 'pino';
import { TokenBucket, type BucketOptions } from './token-bucket.ts';

export class RateLimitedLog {
  private readonly bucket: TokenBucket;
  private suppressed = 0;

  constructor(options: BucketOptions, now?: () => number) {
    this.bucket = new TokenBucket(options, now);
  }

  /** Logs `msg` at warn on `log` if the budget allows; returns whether it did. */
  warn(log: Logger, fields: Record<string, unknown>, msg: string): boolean {
    if (!this.bucket.take()) {
      this.suppressed++;
      return false;
    }
    const extra = this.suppressed > 0 ? { suppressed: this.suppressed } : {};
    this.suppressed = 0;
    log.warn({ ...fields, ...extra }, msg);
    return true;
  }
}
