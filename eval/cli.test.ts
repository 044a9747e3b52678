/** The evaluation CLI's usage errors: exit 2 with the reason, before any conversation runs. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sampleReport } from './report/sample.ts';
import { saveConversation } from './runner/artifacts.ts';

const cli = (args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'eval/cli.ts', ...args], {
    cwd: new URL('..', import.meta.url).pathname,
    encoding: 'utf8',
    timeout: 60_000,
  });

describe('eval cli', () => {
  it('refuses --server-args for a server it does not start', () => {
    const r = cli([
      'run',
      '--suite',
      'smoke',
      '--url',
      'ws://127.0.0.1:9/v1/stream',
      '--server-args=--asr pocketsphinx',
    ]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--server-args applies only to banter started as its own process/);
  }, 60_000);

  it('summary needs a run folder with a report', () => {
    const empty = mkdtempSync(join(tmpdir(), 'banter-summary-'));
    const r = cli(['summary', empty, join(empty, 'out.json')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/report\.json does not exist/);
  }, 60_000);

  it('compare writes the page and JSON for two runs, and refuses bad labels, seeds and reports', () => {
    const root = mkdtempSync(join(tmpdir(), 'banter-compare-cli-'));
    for (const r of ['a', 'b']) {
      mkdirSync(join(root, r));
      writeFileSync(join(root, r, 'report.json'), JSON.stringify(sampleReport()));
    }
    const out = join(root, 'out');
    const ok = cli(['compare', join(root, 'a'), join(root, 'b'), '--out', out, '--resamples', '50']);
    expect(ok.status, ok.stderr).toBe(0);
    expect(existsSync(join(out, 'comparison.html'))).toBe(true);
    const c = JSON.parse(readFileSync(join(out, 'comparison.json'), 'utf8')) as {
      runs: Array<{ label: string }>;
    };
    expect(c.runs.map((r) => r.label)).toEqual(['a', 'b']);
    const labels = cli(['compare', join(root, 'a'), join(root, 'b'), '--labels', 'only-one']);
    expect([labels.status, labels.stderr]).toEqual([
      2,
      expect.stringMatching(/--labels names 1 runs; 2 were given/),
    ]);
    const seed = cli(['compare', join(root, 'a'), join(root, 'b'), '--seed', 'x']);
    expect([seed.status, seed.stderr]).toEqual([2, expect.stringMatching(/--seed is a whole number/)]);
    mkdirSync(join(root, 'junk'));
    writeFileSync(join(root, 'junk', 'report.json'), '{"not": "a report"}');
    const junk = cli(['compare', join(root, 'a'), join(root, 'junk')]);
    expect([junk.status, junk.stderr]).toEqual([2, expect.stringMatching(/is not a banter report/)]);
  }, 60_000);

  it('score --out re-scores a run elsewhere and leaves the run report alone', () => {
    const run = mkdtempSync(join(tmpdir(), 'banter-score-run-'));
    const caller = new Float32Array(3 * 16000);
    for (let i = 16000; i < 24000; i++) caller[i] = 0.2 * Math.sin((2 * Math.PI * 220 * i) / 16000);
    saveConversation(run, {
      id: 'c1',
      sampleRate: 16000,
      caller,
      system: new Float32Array(3 * 16000),
      stimuli: [],
      skipped: [],
      events: [],
      notes: [],
    });
    const out = join(run, 'elsewhere');
    const r = cli(['score', run, '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(join(out, 'report.json'))).toBe(true);
    expect(existsSync(join(run, 'report.json'))).toBe(false);
  }, 60_000);

  it('data --from a folder without the files exits 1 with the code, before touching eval/data', () => {
    const empty = mkdtempSync(join(tmpdir(), 'banter-data-empty-'));
    const dest = join(empty, 'dest');
    const r = cli(['data', '--from', empty, '--dest', dest]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/data_missing: .* lacks 106 of the 106 files/);
    expect(existsSync(dest)).toBe(false);
  }, 60_000);
});
