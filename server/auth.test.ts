/**
 * Session tokens, origins and /metrics over real sockets: each refusal comes with its documented
 * HTTP status and coded reason (docs/protocol.md, "Authentication").
 */
import { SignJWT } from 'jose';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startServer, type RunningServer } from './app.ts';
import { AuthConfigError } from './limits/auth.ts';
import { StreamClient } from './testing/stream-client.ts';

const secret = 'a-test-secret-that-is-long-enough-for-hs256';
const quiet = pino({ level: 'silent' });

function token(claims: Record<string, unknown> = {}, options: { key?: string; exp?: string | number } = {}) {
  return new SignJWT({ ...claims })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('caller-1')
    .setIssuedAt()
    .setExpirationTime(options.exp ?? '5m')
    .sign(Buffer.from(options.key ?? secret));
}

/** Opens a WebSocket; resolves with `open` (and the agreed subprotocol) or the refusal's status and body. */
function attempt(
  url: string,
  options: { protocols?: string[]; origin?: string } = {},
): Promise<{ open: true; protocol: string } | { open: false; status: number; body: string }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, options.protocols, options.origin ? { origin: options.origin } : {});
    ws.on('open', () => {
      resolve({ open: true, protocol: ws.protocol });
      ws.close();
    });
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (b: Buffer) => (body += b.toString()));
      res.on('end', () => resolve({ open: false, status: res.statusCode ?? 0, body }));
    });
    ws.on('error', () => {});
  });
}

let server: RunningServer;
beforeAll(async () => {
  server = await startServer({
    port: 0,
    logger: quiet,
    auth: { mode: 'on', secret, allowedOrigins: ['https://app.example.com'] },
  });
});
afterAll(async () => {
  await server?.close();
});

describe('session tokens', () => {
  it('refuses a connection without a token: 401 token_missing', async () => {
    expect(await attempt(server.url)).toMatchObject({
      open: false,
      status: 401,
      body: expect.stringMatching(/^token_missing/),
    });
  });

  it('refuses an expired token: 401 token_expired', async () => {
    const old = await token({}, { exp: Math.floor(Date.now() / 1000) - 60 });
    expect(await attempt(`${server.url}?token=${old}`)).toMatchObject({
      open: false,
      status: 401,
      body: expect.stringMatching(/^token_expired/),
    });
  });

  it('refuses a token signed with another key: 401 token_invalid', async () => {
    const forged = await token({}, { key: 'another-secret-that-is-long-enough-for-hs256' });
    expect(await attempt(`${server.url}?token=${forged}`)).toMatchObject({
      open: false,
      status: 401,
      body: expect.stringMatching(/^token_invalid/),
    });
    expect(await attempt(`${server.url}?token=not.a.jwt`)).toMatchObject({ open: false, status: 401 });
  });

  it('accepts a valid token in the URL, and as a subprotocol the way a browser sends it', async () => {
    const good = await token({ banter: { voiceprint: true } });
    const client = await StreamClient.start(`${server.url}?token=${good}`, { greeting: false });
    await client.flush();
    await client.close();
    expect(await attempt(server.url, { protocols: ['banter.v1', `banter.token.${good}`] })).toEqual({
      open: true,
      protocol: 'banter.v1',
    });
  });
});

describe('origins', () => {
  it('refuses a browser on an origin not in the allowlist: 403 origin_refused', async () => {
    const good = await token();
    expect(await attempt(`${server.url}?token=${good}`, { origin: 'https://evil.example' })).toMatchObject({
      open: false,
      status: 403,
      body: expect.stringMatching(/^origin_refused/),
    });
  });

  it('lets in the listed origin and the server’s own page', async () => {
    const good = await token();
    const url = `${server.url}?token=${good}`;
    expect(await attempt(url, { origin: 'https://app.example.com' })).toMatchObject({ open: true });
    expect(await attempt(url, { origin: `http://127.0.0.1:${server.port}` })).toMatchObject({ open: true });
  });

  it('refuses a foreign origin with auth off too (no cross-site WebSocket hijacking of a local server)', async () => {
    const open = await startServer({ port: 0, logger: quiet });
    try {
      expect(await attempt(open.url, { origin: 'https://evil.example' })).toMatchObject({
        open: false,
        status: 403,
      });
      expect(await attempt(open.url)).toMatchObject({ open: true });
    } finally {
      await open.close();
    }
  });
});

describe('HTTP', () => {
  it('/metrics needs a Bearer token with the metrics scope while auth is on', async () => {
    const base = `http://127.0.0.1:${server.port}`;
    expect((await fetch(`${base}/metrics`)).status).toBe(401);
    const plain = await token();
    expect((await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${plain}` } })).status).toBe(
      403,
    );
    const scraper = await token({ scope: 'metrics' });
    const ok = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${scraper}` } });
    expect(ok.status).toBe(200);
    const text = await ok.text();
    expect(text).toContain('banter_sessions_active');
    // Process metrics named once: banter_process_*, not banter_process_process_*.
    expect(text).toContain('banter_process_cpu_seconds_total');
    expect(text).not.toContain('banter_process_process_');
    expect((await fetch(`${base}/health`)).status).toBe(200); // health stays open for load balancers
  });

  it('the OpenAI-compatible route needs a Bearer token with the llm scope while auth is on', async () => {
    const url = `http://127.0.0.1:${server.port}/v1/chat/completions`;
    const body = JSON.stringify({ messages: [{ role: 'user', content: 'hello' }] });
    const post = (auth?: string) =>
      fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(auth ? { authorization: `Bearer ${auth}` } : {}) },
        body,
      });
    expect((await post()).status).toBe(401);
    expect((await post(await token({ scope: 'metrics' }))).status).toBe(403);
    const ok = await post(await token({ scope: 'llm' }));
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { object: string }).object).toBe('chat.completion');
  });

  it('serves the client page with security headers', async () => {
    const res = await fetch(`http://127.0.0.1:${server.port}/`);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-powered-by')).toBeNull();
  });
});

describe('defaults', () => {
  it('binding a non-loopback address turns auth on, and without a key the server refuses to start', async () => {
    await expect(startServer({ port: 0, host: '0.0.0.0', logger: quiet })).rejects.toBeInstanceOf(
      AuthConfigError,
    );
  });

  it('auth off explicitly on a public address is allowed (the operator said so)', async () => {
    const open = await startServer({ port: 0, host: '0.0.0.0', logger: quiet, auth: { mode: 'off' } });
    try {
      expect(await attempt(open.url)).toMatchObject({ open: true });
    } finally {
      await open.close();
    }
  });
});
