/** The report page in a real browser: Debian's chromium, headless, through playwright-core. */
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHROMIUM_PATH, checkReportPage, chromiumAvailable } from './browser.ts';
import { renderHtml } from './html.ts';
import { sampleReport } from './sample.ts';

if (!chromiumAvailable())
  console.warn(`browser.test: no chromium at ${CHROMIUM_PATH} (apt-get install chromium): skipped`);

describe.skipIf(!chromiumAvailable())('report page in chromium', () => {
  it('renders the table, timelines and plots without errors or external requests', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'banter-report-'));
    const html = join(dir, 'report.html');
    const report = sampleReport();
    writeFileSync(html, renderHtml(report));
    const png = join(dir, 'report.png');
    const check = await checkReportPage(html, png, { width: 1280, height: 900 });
    expect(check.problems).toEqual([]);
    expect(check.title).toBe('banter evaluation: demo');
    expect(check.metricRows).toBe(report.metrics.length);
    expect(check.naRows).toBe(report.metrics.filter((m) => m.value === null).length);
    expect(check.timelines).toBe(2);
    expect(check.histograms).toBeGreaterThan(0);
    expect(check.timelineWidth).toBeGreaterThan(800);
    expect(statSync(png).size).toBeGreaterThan(10_000);
  });
});
