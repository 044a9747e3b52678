import { describe, expect, it } from 'vitest';
import { sampleReport } from './sample.ts';
import { summarize } from './summary.ts';

describe('run summary', () => {
  it('keeps every metric with its counts and reasons, the commit and the command, and no samples or timelines', () => {
    const report = { ...sampleReport(), command: 'npx tsx eval/cli.ts run --suite x' };
    const s = summarize(report, 'abc123');
    expect(s).toMatchObject({ format: 1, commit: 'abc123', command: 'npx tsx eval/cli.ts run --suite x' });
    expect(s.metrics.map((m) => m.key)).toEqual(report.metrics.map((m) => m.key));
    const srr = s.metrics.find((m) => m.key === 'srr')!;
    const full = report.metrics.find((m) => m.key === 'srr')!;
    expect(srr).toMatchObject({ value: full.value, n: full.n });
    expect(srr.best_published).toEqual(['Moshi 64.5 % (FD-Bench; GPU (inferred))']);
    const json = JSON.stringify(s);
    expect(json).not.toContain('"values"');
    expect(json).not.toContain('"conversations":[');
    expect(json.length).toBeLessThan(JSON.stringify(report).length / 2);
  });
});
