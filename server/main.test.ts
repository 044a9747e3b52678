/**
 * `npm start` as the real process: worker processes sharing the port, a worker that dies is
 * replaced, and SIGTERM drains every worker (callers told, closed with 1001) before exit 0.
 */
import { spawnSync } from 'node:child_process';
import { get } from 'node:http';
import { describe, expect, it } from 'vitest';
import { spawnServer } from './testing/spawn-server.ts';
import { StreamClient, sleep } from './testing/stream-client.ts';

/** main.ts with `args` after `--port 0`. */
const spawnMain = (args: string[], env: Record<string, string> = {}) =>
  spawnServer({ args: ['--port', '0', ...args], env });

/** /health on a fresh TCP connection each time (fetch would reuse one, and so one worker). */
const health = (port: number) =>
  new Promise<{ pid: number; status: string }>((resolve, reject) => {
    get({ host: '127.0.0.1', port, path: '/health', agent: false }, (res) => {
      let body = '';
      res.on('data', (b: Buffer) => (body += b.toString()));
      res.on('end', () => resolve(JSON.parse(body) as { pid: number; status: string }));
    }).on('error', reject);
  });

describe('npm start (server/main.ts)', () => {
  it('npm reads the project .npmrc without a warning (install scripts off, hooks off)', () => {
    // The old `onnxruntime-node-install=skip` key made npm warn "Unknown project config" on
    // every command; `ignore-scripts` is a key npm knows.
    const r = spawnSync('npm', ['config', 'get', 'ignore-scripts'], {
      cwd: new URL('..', import.meta.url).pathname,
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.stdout.trim()).toBe('true');
    expect(r.stderr).not.toMatch(/warn/i);
  });

  it.each([
    [['--answer-by-ms', 'abc'], /invalid configuration: turnTaking\.answerByMs/],
    [['--end-of-turn', 'maybe'], /invalid configuration: turnTaking\.endOfTurn/],
    [['--vad-hangover-ms=-5'], /invalid configuration: vad\.redemptionMs/],
    [['--no-such-flag'], /Unknown option '--no-such-flag'/],
  ])(
    '%j: one line naming what is wrong, no stack trace, exit 2',
    (args, why) => {
      const r = spawnSync(process.execPath, ['--import', 'tsx', 'server/main.ts', '--port', '0', ...args], {
        cwd: new URL('..', import.meta.url).pathname,
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/^banter cannot start: /m);
      expect(r.stderr).toMatch(why);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    },
    60_000,
  );

  it('runs one worker per --workers on one port, and replaces a worker that dies', async () => {
    const s = await spawnMain(['--workers', '2', '--log-level', 'warn']);
    try {
      expect(s.output()).toContain('across 2 worker processes');
      // Connections are dealt round-robin: a handful of health checks reach both workers.
      const pids = new Set<number>();
      for (let i = 0; i < 8; i++) pids.add((await health(s.port)).pid);
      expect(pids.size).toBe(2);
      const [victim] = pids;
      process.kill(victim, 'SIGKILL');
      let seen = new Set<number>();
      for (let i = 0; i < 100 && !(seen.size === 2 && !seen.has(victim)); i++) {
        await sleep(100);
        seen = new Set<number>();
        for (let j = 0; j < 6; j++) {
          try {
            seen.add((await health(s.port)).pid);
          } catch {
            // the replacement may still be loading
          }
        }
      }
      expect(seen.has(victim)).toBe(false);
      expect(seen.size).toBe(2);
      const caller = await StreamClient.start(`ws://127.0.0.1:${s.port}/v1/stream`, { greeting: false });
      await caller.flush();
      await caller.close();
    } finally {
      s.child.kill('SIGTERM');
      await s.exited;
    }
  }, 60_000);

  it('SIGTERM drains every worker: callers told their deadline, closed with 1001, exit code 0', async () => {
    const s = await spawnMain(['--workers', '2', '--log-level', 'info'], {
      BANTER_SHUTDOWN_DEADLINE_MS: '600',
    });
    const url = `ws://127.0.0.1:${s.port}/v1/stream`;
    const callers = await Promise.all(
      Array.from({ length: 4 }, () => StreamClient.start(url, { greeting: false })),
    );
    s.child.kill('SIGTERM'); // to the primary only, as a container runtime sends it
    for (const caller of callers) {
      const notice = await caller.waitFor('error');
      expect(notice.message).toMatchObject({ code: 'shutting_down', deadline_ms: 600 });
    }
    await Promise.all(callers.map((c) => c.whenClosed()));
    expect(callers.map((c) => c.closeCode)).toEqual([1001, 1001, 1001, 1001]);
    expect(await s.exited).toBe(0);
    expect(s.output().match(/banter draining/g)).toHaveLength(2);
    expect(s.output().match(/banter stopped/g)).toHaveLength(2);
  }, 60_000);

  it('Ctrl-C (SIGINT to the whole process group) drains the workers once, as SIGTERM does', async () => {
    const s = await spawnServer({
      args: ['--port', '0', '--workers', '2', '--log-level', 'info'],
      env: { BANTER_SHUTDOWN_DEADLINE_MS: '600' },
      detached: true,
    });
    const url = `ws://127.0.0.1:${s.port}/v1/stream`;
    const callers = await Promise.all(
      Array.from({ length: 2 }, () => StreamClient.start(url, { greeting: false })),
    );
    process.kill(-s.child.pid!, 'SIGINT');
    for (const caller of callers) {
      expect((await caller.waitFor('error')).message).toMatchObject({ code: 'shutting_down' });
    }
    await Promise.all(callers.map((c) => c.whenClosed()));
    expect(callers.map((c) => c.closeCode)).toEqual([1001, 1001]);
    expect(await s.exited).toBe(0);
  }, 60_000);

  it('a second signal during the drain exits at once (code 1), without waiting for the deadline', async () => {
    const s = await spawnMain(['--workers', '1'], { BANTER_SHUTDOWN_DEADLINE_MS: '600000' });
    const caller = await StreamClient.start(`ws://127.0.0.1:${s.port}/v1/stream`, { greeting: false });
    s.child.kill('SIGTERM');
    expect((await caller.waitFor('error')).message).toMatchObject({
      code: 'shutting_down',
      deadline_ms: 600000,
    });
    s.child.kill('SIGTERM');
    expect(await s.exited).toBe(1);
    await caller.whenClosed();
  }, 60_000);

  it('--metrics-port serves /metrics summed over every worker', async () => {
    const s = await spawnMain(['--workers', '2', '--metrics-port', '0', '--log-level', 'warn']);
    try {
      const announced = /metrics \(all workers\): http:\/\/127\.0\.0\.1:(\d+)/;
      for (let i = 0; i < 100 && !announced.test(s.output()); i++) await sleep(50);
      const metricsPort = Number(announced.exec(s.output())![1]);
      const url = `ws://127.0.0.1:${s.port}/v1/stream`;
      const callers = await Promise.all(
        Array.from({ length: 4 }, () => StreamClient.start(url, { greeting: false })),
      );
      // Round-robin dealt the sessions to both workers: neither holds all four.
      const perWorker = new Map<number, number>();
      for (let i = 0; i < 8; i++) {
        const h = (await health(s.port)) as { pid: number; sessions?: number };
        perWorker.set(h.pid, h.sessions ?? 0);
      }
      expect(perWorker.size).toBe(2);
      expect(Math.max(...perWorker.values())).toBeLessThan(4);
      const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      // Four sessions spread over two workers, one sum.
      expect(text).toMatch(/^banter_sessions_active 4$/m);
      await Promise.all(callers.map((c) => c.close()));
    } finally {
      s.child.kill('SIGTERM');
      await s.exited;
    }
  }, 60_000);

  it('--workers 1 is one process, as before, and drains the same way', async () => {
    const s = await spawnMain(['--workers', '1', '--log-level', 'info'], {
      BANTER_SHUTDOWN_DEADLINE_MS: '300',
    });
    expect(s.output()).not.toContain('worker processes');
    const caller = await StreamClient.start(`ws://127.0.0.1:${s.port}/v1/stream`, { greeting: false });
    s.child.kill('SIGTERM');
    await caller.whenClosed();
    expect(caller.closeCode).toBe(1001);
    expect(await s.exited).toBe(0);
  }, 60_000);
});
