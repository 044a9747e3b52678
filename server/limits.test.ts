/**
 * Connection limits and the shutdown drain, over real sockets against a real server: each limit
 * answers with its documented HTTP status, error code or close code.
 */
import { connect } from 'node:net';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startServer, type RunningServer, type StartOptions } from './app.ts';
import { SHUTDOWN_DRAIN_MS } from './session/budgets.ts';
import { StreamClient, sleep } from './testing/stream-client.ts';

const quiet = pino({ level: 'silent' });
let server: RunningServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

async function serve(options: StartOptions = {}): Promise<RunningServer> {
  server = await startServer({ port: 0, logger: quiet, ...options });
  return server;
}

/** The HTTP status a refused upgrade answered with. */
function refusedStatus(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.on('open', () => reject(new Error('connection was accepted')));
    ws.on('error', () => {});
  });
}

describe('connection limits', () => {
  it('refuses connections past maxSessions with 503, so a load balancer can retry elsewhere', async () => {
    const s = await serve({ limits: { maxSessions: 2 } });
    const a = await StreamClient.connect(s.url);
    const b = await StreamClient.connect(s.url);
    expect(await refusedStatus(s.url)).toBe(503);
    await a.close();
    await sleep(50);
    const c = await StreamClient.connect(s.url); // room again once one has left
    await Promise.all([b.close(), c.close()]);
  });

  it('refuses more than maxConnectionsPerAddress from one address with 429', async () => {
    const s = await serve({ limits: { maxConnectionsPerAddress: 2 } });
    const clients = [await StreamClient.connect(s.url), await StreamClient.connect(s.url)];
    expect(await refusedStatus(s.url)).toBe(429);
    await Promise.all(clients.map((c) => c.close()));
  });

  it('behind a trusted proxy, counts connections per forwarded address', async () => {
    const s = await serve({ trustProxy: true, limits: { maxConnectionsPerAddress: 1 } });
    const via = (address: string) =>
      new WebSocket(s.url, { headers: { 'x-forwarded-for': `${address}, 10.0.0.1` } });
    const open = (ws: WebSocket) =>
      new Promise<number>((resolve) => {
        ws.on('open', () => resolve(101));
        ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.on('error', () => {});
      });
    const first = via('203.0.113.7');
    const other = via('198.51.100.2');
    expect(await Promise.all([open(first), open(other)])).toEqual([101, 101]);
    expect(await open(via('203.0.113.7'))).toBe(429);
    first.close();
    other.close();
  });

  it('closes a connection that never completes its handshake: handshake_timeout, 1008', async () => {
    const s = await serve({ limits: { handshakeTimeoutMs: 300 } });
    const idle = await StreamClient.connect(s.url);
    await idle.whenClosed();
    expect(idle.messages('error')).toMatchObject([{ code: 'handshake_timeout', fatal: true }]);
    expect(idle.closeCode).toBe(1008);
    // A session that did start is not touched by the timer.
    const started = await StreamClient.start(s.url, { greeting: false });
    await sleep(500);
    expect(started.closeCode).toBeNull();
    await started.close();
  });

  it('closes a started session that sends nothing at all: idle_timeout, 1008', async () => {
    const s = await serve({ limits: { idleTimeoutMs: 300 } });
    const silent = await StreamClient.start(s.url, { greeting: false });
    const streaming = await StreamClient.start(s.url, { greeting: false });
    // 20 ms of silence every 100 ms: a caller streaming audio is never idle, however quiet.
    const frame = new Uint8Array(640);
    const pump = setInterval(() => streaming.sendBinary(frame, 20), 100);
    try {
      await silent.whenClosed();
      expect(silent.messages('error')).toMatchObject([{ code: 'idle_timeout', fatal: true }]);
      expect(silent.closeCode).toBe(1008);
      await sleep(500);
      expect(streaming.closeCode).toBeNull();
    } finally {
      clearInterval(pump);
    }
    await streaming.close();
  });

  it('logs who opened a session: the forwarded address behind a trusted proxy, and the origin', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    const opened = async (trustProxy: boolean) => {
      const s = await serve({ logger, trustProxy, auth: { allowedOrigins: ['https://app.example'] } });
      const ws = new WebSocket(s.url, {
        headers: { 'X-Forwarded-For': '203.0.113.7, 10.0.0.2', Origin: 'https://app.example' },
      });
      await new Promise<void>((resolve, reject) => ws.once('open', () => resolve()).once('error', reject));
      await sleep(50);
      ws.close();
      await server?.close();
      server = null;
      return lines.filter((l) => l.msg === 'session opened').at(-1);
    };
    expect(await opened(true)).toMatchObject({ address: '203.0.113.7', origin: 'https://app.example' });
    // Without trustProxy the header is the client's own claim: the socket's address is logged.
    expect(await opened(false)).toMatchObject({ address: '127.0.0.1', origin: 'https://app.example' });
  });

  it('drops a peer that stops answering pings (heartbeat)', async () => {
    const s = await serve({ limits: { heartbeatMs: 150 } });
    // A raw TCP client that completes the upgrade and then never reads or answers again.
    const socket = connect(s.port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write(
      `GET ${s.config.wsPath} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
    await new Promise<void>((resolve) => socket.once('data', () => resolve()));
    expect(s.sessions.size).toBe(1);
    await new Promise<void>((resolve) => socket.once('close', () => resolve()));
    await sleep(20);
    expect(s.sessions.size).toBe(0);
    // A well-behaved client answers pings by itself and stays.
    const client = await StreamClient.start(s.url, { greeting: false });
    await sleep(600);
    expect(client.closeCode).toBeNull();
    await client.close();
  });

  it('a client that keeps sending bad messages spends its error budget and is closed with too_many_errors (1008)', async () => {
    const s = await serve();
    const client = await StreamClient.connect(s.url);
    for (let i = 0; i < 40; i++) client.ws.send('not json');
    await client.whenClosed();
    const codes = client.messages('error').map((e) => e.code);
    expect(codes.slice(0, s.config.limits.errorBudget.burst).every((c) => c === 'bad_json')).toBe(true);
    expect(codes.at(-1)).toBe('too_many_errors');
    expect(client.closeCode).toBe(1008);
  });

  it('a text frame over the control limit is refused unread and the session goes on', async () => {
    const s = await serve();
    const client = await StreamClient.start(s.url, { greeting: false });
    client.sendJson({ type: 'marker', id: 'x'.repeat(s.config.limits.maxControlBytes) });
    const error = await client.waitFor('error');
    expect(error.message).toMatchObject({ code: 'control_too_large', fatal: false });
    await client.flush('still-here');
    await client.close();
  });

  it('/health counts started sessions apart from bare connections', async () => {
    const s = await serve();
    const bare = await StreamClient.connect(s.url);
    const started = await StreamClient.start(s.url, { greeting: false });
    const health = await (await fetch(`http://127.0.0.1:${s.port}/health`)).json();
    expect(health).toMatchObject({ status: 'ok', sessions: 1, connections: 2 });
    await Promise.all([bare.close(), started.close()]);
  });
});

describe('graceful drain', () => {
  it('health turns 503 at once, new calls are refused, callers are told their deadline and closed at it (1001)', async () => {
    const s = await serve();
    const caller = await StreamClient.start(s.url, { greeting: false });
    const leaving = await StreamClient.start(s.url, { greeting: false });
    const t0 = Date.now();
    const closing = s.close({ deadlineMs: 800 });
    server = null;

    const health = await fetch(`http://127.0.0.1:${s.port}/health`);
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({ status: 'draining' });
    expect(await refusedStatus(s.url)).toBe(503);

    const notice = await caller.waitFor('error');
    expect(notice.message).toMatchObject({ code: 'shutting_down', fatal: false, deadline_ms: 800 });
    // Until the deadline the session still works; a caller that leaves by itself simply goes.
    await caller.flush('during-drain');
    await leaving.waitFor('error');
    await leaving.close();
    await closing;
    await caller.whenClosed();
    expect(caller.closeCode).toBe(1001);
    expect(leaving.closeCode).toBe(1000);
    // Closed at the deadline, not before it (a bound, not a speed check: the slack is generous).
    expect(Date.now() - t0).toBeGreaterThanOrEqual(800 - 20);
  });

  it('a client that never reads cannot hold the exit past the deadline', async () => {
    const s = await serve({ writer: { stallTimeoutMs: 60_000 } });
    const stuck = await StreamClient.start(s.url); // greeting on: the server has audio to send
    (stuck.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const t0 = Date.now();
    await s.close({ deadlineMs: 300 });
    server = null;
    expect(s.sessions.size).toBe(0);
    // The exit waits at most the deadline plus the input drain, never for the stuck reader.
    expect(Date.now() - t0).toBeLessThan(300 + SHUTDOWN_DRAIN_MS + 2000);
  });
});
