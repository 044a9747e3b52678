/**
 * What this server is, for /health and the evaluation's reproducibility stamp: the package
 * version, and the commit it runs from (BANTER_COMMIT when the deployment sets it; else
 * `git describe` of the checkout, when it is one; else nothing).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

export const SERVER_VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/** `git describe --always --dirty` of the checkout at `dir`, or null outside one (or without git). */
export function describeCheckout(dir: string = root): string | null {
  const git = spawnSync('git', ['describe', '--always', '--dirty', '--abbrev=12'], {
    cwd: dir,
    encoding: 'utf8',
  });
  return git.status === 0 ? git.stdout.trim() || null : null;
}

let commit: string | null | undefined;

/** The commit, looked up once. */
export function serverCommit(): string | null {
  if (commit !== undefined) return commit;
  commit = process.env.BANTER_COMMIT ?? (existsSync(`${root}/.git`) ? describeCheckout() : null);
  return commit;
}
