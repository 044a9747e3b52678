/** The evaluation CLI's usage errors: exit 2 with the reason, before any conversation runs. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

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
});
