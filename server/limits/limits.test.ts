import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { truncate } from './limits.ts';
import { RateLimitedLog } from './rate-limited-log.ts';
import { TokenBucket } from './token-bucket.ts';

describe('TokenBucket', () => {
  it('allows a burst, then refills at its rate and never holds more than the burst', () => {
    let now = 0;
    const bucket = new TokenBucket({ burst: 3, perSecond: 2 }, () => now);
    expect([1, 2, 3, 4].map(() => bucket.take())).toEqual([true, true, true, false]);
    now += 500; // one token back
    expect([bucket.take(), bucket.take()]).toEqual([true, false]);
    now += 60_000;
    expect([1, 2, 3, 4].map(() => bucket.take())).toEqual([true, true, true, false]);
  });
});

describe('RateLimitedLog', () => {
  it('logs up to its budget and reports how many lines it held back with the next one', () => {
    let now = 0;
    const lines: Record<string, unknown>[] = [];
    const log = pino({ level: 'warn' }, { write: (s: string) => lines.push(JSON.parse(s)) });
    const limited = new RateLimitedLog({ burst: 2, perSecond: 1 }, () => now);
    const sent = Array.from({ length: 10 }, () =>
      limited.warn(log, { code: 'bad_json' }, 'bad client input'),
    );
    expect(sent.filter(Boolean)).toHaveLength(2);
    now += 1000;
    limited.warn(log, { code: 'bad_json' }, 'bad client input');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toMatchObject({ code: 'bad_json', suppressed: 8 });
    expect(lines[0].suppressed).toBeUndefined();
  });
});

describe('truncate', () => {
  it('keeps short text and cuts long text to the limit, marked', () => {
    expect(truncate('short', 10)).toBe('short');
    expect(truncate('x'.repeat(50), 10)).toBe(`${'x'.repeat(9)}…`);
  });
});
