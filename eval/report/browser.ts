/**
 * Opens a report page in a real browser (Debian's chromium through
 * playwright-core; nothing downloaded), checks that it rendered, and takes a
 * screenshot. Used by the browser test and by `eval screenshot`.
 */
import { pathToFileURL } from 'node:url';
import { CHROMIUM_ARGS, CHROMIUM_PATH, chromiumAvailable } from '../../server/testing/chromium.ts';

export { CHROMIUM_PATH, chromiumAvailable };

export interface PageCheck {
  title: string;
  metricRows: number;
  naRows: number;
  timelines: number;
  histograms: number;
  /** Overlaid cumulative distributions (the comparison page). */
  cdfs: number;
  /** Console errors and failed requests (a self-contained page has none). */
  problems: string[];
  /** Rendered width of the first timeline, px (0 = not laid out). */
  timelineWidth: number;
}

export interface ScreenshotOptions {
  /** Viewport width, px. Default 1280. */
  width: number;
  /** Viewport height, px; the screenshot covers the viewport, not the full page, unless fullPage. Default 1500. */
  height: number;
  fullPage: boolean;
}

export async function checkReportPage(
  htmlPath: string,
  screenshotPath?: string,
  options: Partial<ScreenshotOptions> = {},
): Promise<PageCheck> {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: CHROMIUM_ARGS,
    headless: true,
  });
  try {
    const page = await browser.newPage({
      viewport: { width: options.width ?? 1280, height: options.height ?? 1500 },
    });
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
    page.on('request', (r) => {
      if (!r.url().startsWith('file:') && !r.url().startsWith('data:'))
        problems.push(`external request: ${r.url()}`);
    });
    await page.goto(pathToFileURL(htmlPath).href, { waitUntil: 'load' });
    // A string, not a function: tsx (esbuild keepNames) would wrap a function in __name(), unknown in the page.
    const check = (await page.evaluate(`(() => {
      const q = (s) => document.querySelectorAll(s).length;
      const first = document.querySelector('svg.timeline');
      return {
        title: document.title,
        metricRows: q('table.metrics tbody tr'),
        naRows: q('table.metrics td[data-na]'),
        timelines: q('svg.timeline'),
        histograms: q('svg.hist'),
        cdfs: q('svg.cdf'),
        timelineWidth: first ? first.getBoundingClientRect().width : 0,
      };
    })()`)) as Omit<PageCheck, 'problems'>;
    if (screenshotPath) await page.screenshot({ path: screenshotPath, fullPage: options.fullPage ?? false });
    return { ...check, problems };
  } finally {
    await browser.close();
  }
}
