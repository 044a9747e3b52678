/**
 * The CI smoke suite, end to end: banter started in process, four simulated
 * callers over real WebSockets in real time, recordings analysed (Silero,
 * pocketsphinx when installed), report written. About 40 s.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { engineAvailable } from '../fixtures/synth.ts';
import { runSuite } from './runner/run.ts';
import { SCENARIO_DIR } from './scenario/generate.ts';
import { loadSuite } from './scenario/schema.ts';
import type { Report } from './report/types.ts';

const engines = engineAvailable('flite') && engineAvailable('espeak-ng') && engineAvailable('festival');
if (!engines)
  console.warn(
    'smoke.test: flite, espeak-ng and festival are needed for the callers (apt-get install flite espeak-ng festival festvox-kdlpc16k): skipped',
  );

describe.skipIf(!engines)('eval smoke suite against banter', () => {
  const out = mkdtempSync(join(tmpdir(), 'banter-smoke-'));
  let report: Report;
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it(
    'holds every conversation over the public protocol and writes the report',
    { timeout: 180_000 },
    async () => {
      report = await runSuite({
        suite: loadSuite(join(SCENARIO_DIR, 'smoke.yaml')),
        outDir: out,
        concurrency: 4,
        installAsr: false,
      });
      expect(report.run?.sessionsFailed).toBe(0);
      expect(report.conversations.map((c) => c.error)).toEqual([undefined, undefined, undefined, undefined]);
      for (const f of ['report.json', 'report.html', 'conversations/smoke-interrupt/recording.wav'])
        expect(existsSync(join(out, f)), f).toBe(true);
      expect(report.run?.vad).toMatch(/^silero/);
      // The reproducibility stamp: the script's hash and what the server said it is.
      expect(report.run?.suiteHash).toMatch(/^[0-9a-f]{16}$/);
      expect(report.run?.server).toMatchObject({
        version: expect.any(String),
        vad: expect.stringMatching(/^silero/),
      });
    },
  );

  it('gives every metric a value or an n/a with its reason', () => {
    for (const m of report.metrics) expect(m.value !== null || (m.na ?? '').length > 0, m.key).toBe(true);
  });

  it('measures barge-in on the greeting: stopped inside the interruption, within 400 ms', () => {
    const sir = report.metrics.find((m) => m.key === 'sir')!;
    const ird = report.metrics.find((m) => m.key === 'ird')!;
    expect(sir.n).toBeGreaterThanOrEqual(1);
    expect(sir.value).toBe(100);
    expect(ird.value!).toBeLessThan(400);
  });

  it('times the server VAD against ground truth', () => {
    const onset = report.metrics.find((m) => m.key === 'vad_onset')!;
    expect(onset.n).toBeGreaterThanOrEqual(5);
    expect(Math.abs(onset.value!)).toBeLessThan(150);
  });
});
