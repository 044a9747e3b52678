/**
 * Scale-out as docs/deploy.md describes it, for real: Debian's HAProxy on loopback in front of
 * two banter processes, sessions through it, one instance drained with SIGTERM mid-call. Its
 * callers are told and closed at the deadline; the balancer sees /health turn 503 and new calls
 * land on the other instance. Skips with a message where haproxy is not installed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnServer, type SpawnedServer } from './testing/spawn-server.ts';
import { StreamClient, sleep } from './testing/stream-client.ts';

const HAPROXY = ['/usr/sbin/haproxy', '/usr/bin/haproxy'].find((p) => existsSync(p));
if (!HAPROXY)
  console.warn('server/load-balancer.test.ts: haproxy is not installed (apt-get install haproxy); skipped');

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

function banter(port: number): Promise<SpawnedServer> {
  return spawnServer({
    args: ['--port', String(port), '--workers', '1', '--log-level', 'warn', '--trust-proxy'],
    env: { BANTER_SHUTDOWN_DEADLINE_MS: '1500' },
  });
}

/** The HAProxy configuration of docs/deploy.md, with loopback ports and fast health checks. */
function haproxyConfig(front: number, backends: number[]): string {
  return `global
  log stderr format raw local0 warning
defaults
  mode http
  timeout connect 2s
  timeout client 30s
  timeout server 30s
  timeout tunnel 1h
  option forwardfor
frontend voice
  bind 127.0.0.1:${front}
  default_backend banter
backend banter
  balance leastconn
  option httpchk GET /health
  http-check expect status 200
  default-server check inter 200ms fall 1 rise 2
${backends.map((p, i) => `  server b${i} 127.0.0.1:${p}`).join('\n')}
`;
}

let a: SpawnedServer, b: SpawnedServer, lb: ChildProcess, front: number;
beforeAll(async () => {
  if (!HAPROXY) return;
  const [pa, pb] = [await freePort(), await freePort()];
  [a, b] = await Promise.all([banter(pa), banter(pb)]);
  front = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'banter-lb-'));
  writeFileSync(join(dir, 'haproxy.cfg'), haproxyConfig(front, [pa, pb]));
  lb = spawn(HAPROXY, ['-db', '-f', join(dir, 'haproxy.cfg')], { stdio: ['ignore', 'ignore', 'pipe'] });
  // Both backends up (rise 2 x 200 ms) before traffic.
  await sleep(1000);
}, 60_000);
afterAll(async () => {
  lb?.kill('SIGTERM');
  for (const p of [a, b]) if (p && p.child.exitCode === null) p.child.kill('SIGKILL');
});

describe.skipIf(!HAPROXY)('behind HAProxy', () => {
  it('drains one instance mid-call: its callers are told and closed at the deadline, new calls land on the other', async () => {
    const url = `ws://127.0.0.1:${front}/v1/stream`;
    const callers = await Promise.all(
      Array.from({ length: 6 }, () => StreamClient.start(url, { greeting: false })),
    );
    // leastconn spread them over both instances: both report started sessions.
    const count = async (p: SpawnedServer) =>
      ((await (await fetch(`http://127.0.0.1:${p.port}/health`)).json()) as { sessions: number }).sessions;
    expect(await count(a)).toBeGreaterThan(0);
    expect(await count(b)).toBeGreaterThan(0);

    a.child.kill('SIGTERM');
    // The drained instance's callers hear of it with their deadline; the others hear nothing.
    await sleep(300);
    const told = callers.filter((c) => c.messages('error').some((e) => e.code === 'shutting_down'));
    expect(told.length).toBeGreaterThan(0);
    expect(told.length).toBeLessThan(callers.length);
    for (const c of told) {
      expect(c.messages('error').find((e) => e.code === 'shutting_down')?.deadline_ms).toBe(1500);
    }
    // The balancer has seen /health turn 503 (one failed check): every new call lands on the other.
    await sleep(500);
    const late = await Promise.all(
      Array.from({ length: 6 }, () => StreamClient.start(url, { greeting: false })),
    );
    for (const c of late) await c.flush();
    expect(await count(b)).toBe(callers.length - told.length + late.length);

    await Promise.all(told.map((c) => c.whenClosed()));
    expect(told.map((c) => c.closeCode)).toEqual(told.map(() => 1001));
    expect(await a.exited).toBe(0);
    // The other instance's callers are still in their calls.
    const stayed = callers.filter((c) => !told.includes(c));
    for (const c of stayed) await c.flush();
    await Promise.all([...stayed, ...late].map((c) => c.close()));
  }, 60_000);
});
