/** Runs side by side: intervals, paired differences, breakdowns, and the page in a real browser. */
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../fixtures/signal.ts';
import { stim, timeline } from '../metrics/testing.ts';
import { CHROMIUM_PATH, checkReportPage, chromiumAvailable } from './browser.ts';
import { compareReports } from './compare.ts';
import { renderComparisonHtml } from './compare-html.ts';
import { buildReport } from './report.ts';
import type { Report } from './types.ts';

/**
 * A suite of 30 conversations, each an inquiry answered after `delay(i)` ms and an
 * interruption that stops the system after 150 ms; half "easy", half "hard".
 */
function suite(delay: (i: number) => number, label: string): Report {
  const timelines = Array.from({ length: 30 }, (_, i) => {
    const d = delay(i);
    const t = timeline(
      `c${i}`,
      [stim('inquiry', [[1000, 2000]], 'so?'), stim('interrupt', [[4000, 4800]], 'wait')],
      [
        [2000 + d, 3000 + d + 1500],
        [3000 + d + 1600 > 4000 ? 3000 + d + 1600 : 3900, 4150],
      ],
    );
    return { ...t, difficulty: i % 2 ? 'hard' : 'easy' };
  });
  return buildReport({
    suite: { name: 'synthetic', description: label, conversations: timelines.length },
    timelines,
    asr: null,
    run: null,
    command: `test ${label}`,
  });
}

describe('eval compare', () => {
  const noise = seededRandom(7);
  const jitter = Array.from({ length: 30 }, () => Math.round(noise() * 200));
  const a = suite((i) => 300 + jitter[i], 'a');
  const b = suite((i) => 700 + jitter[i], 'b'); // 400 ms slower on every conversation
  const a2 = suite((i) => 300 + jitter[(i + 7) % 30], 'a again'); // the same distribution, reshuffled

  it('gives each run its value with an interval, and the paired difference from the first', () => {
    const c = compareReports(
      [
        { label: 'a', report: a },
        { label: 'b', report: b },
        { label: 'a again', report: a2 },
      ],
      { resamples: 200 },
    );
    const fsed = c.metrics.find((m) => m.key === 'fsed')!;
    for (const r of fsed.runs) {
      expect(r.ci).not.toBeNull();
      expect(r.ci!.lo).toBeLessThanOrEqual(r.value!);
      expect(r.ci!.hi).toBeGreaterThanOrEqual(r.value!);
    }
    const [slower, same] = fsed.deltas;
    expect(slower!.paired).toBe(true);
    expect(slower!.delta).toBeCloseTo(400, 0);
    expect(slower!.ci!.lo).toBeGreaterThan(300);
    expect(slower!).toMatchObject({ clear: true, better: false });
    expect(same!.clear).toBe(false);
    expect(c.sharedConversations).toBe(30);
    // Same seed, same intervals.
    const again = compareReports(
      [
        { label: 'a', report: a },
        { label: 'b', report: b },
      ],
      { resamples: 200 },
    );
    expect(again.metrics.find((m) => m.key === 'fsed')!.runs[0].ci).toEqual(fsed.runs[0].ci);
  });

  it('breaks the metrics down by difficulty and keeps the latency samples for the plots', () => {
    const c = compareReports(
      [
        { label: 'a', report: a },
        { label: 'b', report: b },
      ],
      { resamples: 50 },
    );
    expect(c.breakdowns.map((x) => `${x.condition}:${x.value}`)).toEqual([
      'difficulty:easy',
      'difficulty:hard',
    ]);
    expect(c.breakdowns[0].conversations).toEqual([15, 15]);
    const fsed = c.distributions.find((d) => d.key === 'fsed')!;
    expect(fsed.samples.map((s) => s.length)).toEqual([30, 30]);
    expect(() => compareReports([{ label: 'a', report: a }])).toThrow(/at least two runs/);
    // Runs over different conversations are compared unpaired.
    const fewer = { ...b, conversations: b.conversations.slice(0, 20) };
    const u = compareReports(
      [
        { label: 'a', report: a },
        { label: 'b', report: fewer },
      ],
      { resamples: 100 },
    );
    expect(u.sharedConversations).toBe(0);
    const d = u.metrics.find((m) => m.key === 'fsed')!.deltas[0]!;
    expect(d.paired).toBe(false);
    expect(d.ci!.lo).toBeLessThan(d.delta);
    expect(d.ci!.hi).toBeGreaterThan(d.delta);
  });

  if (!chromiumAvailable())
    console.warn(
      `compare.test: no chromium at ${CHROMIUM_PATH} (apt-get install chromium): page check skipped`,
    );
  it.skipIf(!chromiumAvailable())(
    'renders the page in chromium with every metric and the overlaid curves',
    async () => {
      const c = compareReports(
        [
          { label: 'a', report: a },
          { label: 'b', report: b },
        ],
        { resamples: 50 },
      );
      const dir = mkdtempSync(join(tmpdir(), 'banter-compare-'));
      const html = join(dir, 'comparison.html');
      writeFileSync(html, renderComparisonHtml(c));
      const png = join(dir, 'comparison.png');
      const check = await checkReportPage(html, png, { width: 1280, height: 900 });
      expect(check.problems).toEqual([]);
      expect(check.title).toBe('banter comparison: a vs b');
      expect(check.metricRows).toBe(c.metrics.length + 1); // the header row is in tbody too
      expect(check.cdfs).toBe(c.distributions.length);
      expect(statSync(png).size).toBeGreaterThan(10_000);
    },
  );
});
