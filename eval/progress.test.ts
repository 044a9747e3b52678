import { describe, expect, it } from 'vitest';
import { Progress, formatDuration } from './progress.ts';

function sink(isTTY: boolean) {
  const lines: string[] = [];
  return { lines, sink: { isTTY, columns: 80, write: (s: string) => void lines.push(s) } };
}

describe('Progress', () => {
  it('draws a bar with counts, elapsed time and an ETA', () => {
    let t = 0;
    const { sink: s } = sink(true);
    const p = new Progress(s, () => t);
    p.phase('converse', 4);
    t = 10_000;
    p.tick('c1');
    expect(p.line()).toBe('converse [######..................] 1/4 10s ETA 30s  c1');
  });

  it('redraws one line on a terminal', () => {
    const { lines, sink: s } = sink(true);
    const p = new Progress(s, () => 0);
    p.phase('x', 2);
    p.tick('a');
    p.tick('b');
    expect(lines.every((l) => l.startsWith('\r\x1b[2K') || l === '\n')).toBe(true);
  });

  it('throttles plain lines elsewhere but always prints the last', () => {
    let t = 0;
    const { lines, sink: s } = sink(false);
    const p = new Progress(s, () => t, 5000);
    p.phase('x', 100);
    for (let i = 0; i < 100; i++) {
      t += 100;
      p.tick(`item ${i}`);
    }
    // Start, one every 5 s over 10 s, and the last.
    expect(lines.length).toBeLessThanOrEqual(5);
    expect(lines.at(-1)).toContain('100/100');
  });

  it('formats durations', () => {
    expect(formatDuration(5_400)).toBe('5s');
    expect(formatDuration(125_000)).toBe('2m05s');
    expect(formatDuration(3_900_000)).toBe('1h05m');
  });
});
