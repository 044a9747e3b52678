/**
 * Who may open a session: signed, expiring session tokens (JWT, verified with jose) and an
 * Origin allowlist for browsers. Checked once, at the WebSocket upgrade, so a refused caller
 * costs the server one HTTP answer and no session.
 *
 * A token travels in the URL (`?token=`) or, as browsers cannot set headers on a WebSocket, as a
 * subprotocol: `new WebSocket(url, ['banter.v1', 'banter.token.' + jwt])` (the server answers
 * `banter.v1`). Its claims may carry what the caller is allowed: `banter: { voiceprint: true }`.
 *
 * The default keeps a local run frictionless: auth is off while the server binds a loopback
 * address and on as soon as it binds any other, unless switched off explicitly.
 */
import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { createSecretKey, type KeyObject } from 'node:crypto';
import { importSPKI, jwtVerify, errors as joseErrors, type JWTPayload } from 'jose';
import { z } from 'zod';

export const AuthOptions = z.strictObject({
  /** 'auto': on unless `host` is a loopback address. Default 'auto'. */
  mode: z.enum(['auto', 'on', 'off']).default('auto'),
  /** HS256 shared secret (at least 32 bytes), e.g. from BANTER_AUTH_SECRET. */
  secret: z.string().min(32).optional(),
  /** PEM file of an RS256/ES256 public key, for tokens signed by another service. */
  publicKeyPath: z.string().optional(),
  /** Algorithm of the public key's tokens. Default RS256. */
  algorithm: z.enum(['RS256', 'ES256', 'EdDSA']).default('RS256'),
  /** Required `iss` and `aud` claims, when set. */
  issuer: z.string().optional(),
  audience: z.string().optional(),
  /**
   * Origins a browser may connect from besides the server's own page (exact, e.g.
   * "https://app.example.com"). Connections without an Origin header (phone gateways,
   * evaluators) are not browsers and pass this check. With auth on or off: a page on another
   * origin cannot open sessions here unless listed (no cross-site WebSocket hijacking).
   */
  allowedOrigins: z.array(z.string()).default([]),
});
export type AuthOptions = z.infer<typeof AuthOptions>;

/** What a verified caller may do (the token's `banter` claim). */
export const Grants = z
  .looseObject({
    /** May store a voiceprint for the personalized VAD. */
    voiceprint: z.boolean().optional(),
  })
  .default({});
export type Grants = z.infer<typeof Grants>;

export interface Caller {
  /** The token's subject, or null with auth off. */
  subject: string | null;
  grants: Grants;
}

/** Why an upgrade was refused: the HTTP status and a coded reason (the first word of the body). */
export class AuthRefusal extends Error {
  constructor(
    readonly status: 401 | 403,
    readonly reason: 'token_missing' | 'token_expired' | 'token_invalid' | 'origin_refused',
    detail: string,
  ) {
    super(`${reason}: ${detail}`);
    this.name = 'AuthRefusal';
  }
}

/** The auth options cannot work (no key while auth is on, an unreadable key): a start-up error. */
export class AuthConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuthConfigError';
  }
}

/** Subprotocol the server answers, and the prefix of the one that carries a token. */
export const PROTOCOL_NAME = 'banter.v1';
const TOKEN_PROTOCOL_PREFIX = 'banter.token.';

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

export interface Authenticator {
  readonly enabled: boolean;
  /** Verifies an upgrade request; throws AuthRefusal. */
  check(req: IncomingMessage): Promise<Caller>;
  /** Verifies a bare token (e.g. an HTTP Bearer header) and returns its claims. */
  verify(token: string): Promise<JWTPayload>;
}

export async function createAuthenticator(options: AuthOptions, host: string): Promise<Authenticator> {
  const enabled = options.mode === 'on' || (options.mode === 'auto' && !LOOPBACK.test(host));
  if (!enabled) {
    return {
      enabled,
      async check(req) {
        checkOrigin(req, options.allowedOrigins);
        return { subject: null, grants: {} };
      },
      verify: () => Promise.reject(new AuthRefusal(401, 'token_invalid', 'auth is off')),
    };
  }
  const key = await loadKey(options);
  const verify = async (token: string): Promise<JWTPayload> => {
    try {
      const { payload } = await jwtVerify(token, key, {
        issuer: options.issuer,
        audience: options.audience,
        requiredClaims: ['exp'],
      });
      return payload;
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired)
        throw new AuthRefusal(401, 'token_expired', 'the token has expired');
      const detail = err instanceof Error ? err.message.slice(0, 120) : 'invalid';
      throw new AuthRefusal(401, 'token_invalid', detail);
    }
  };
  return {
    enabled,
    verify,
    async check(req) {
      checkOrigin(req, options.allowedOrigins);
      const token = tokenOf(req);
      if (!token) throw new AuthRefusal(401, 'token_missing', 'a session token is required');
      const payload = await verify(token);
      const grants = Grants.safeParse(payload.banter);
      return { subject: payload.sub ?? null, grants: grants.success ? grants.data : {} };
    },
  };
}

async function loadKey(options: AuthOptions): Promise<KeyObject | CryptoKey> {
  if (options.publicKeyPath) {
    let pem: string;
    try {
      pem = readFileSync(options.publicKeyPath, 'utf8');
    } catch {
      throw new AuthConfigError(`cannot read the auth public key ${options.publicKeyPath}`);
    }
    const alg = options.algorithm;
    return importSPKI(pem, alg).catch(() => {
      throw new AuthConfigError(`${options.publicKeyPath} is not an ${alg} public key (PEM, SPKI)`);
    });
  }
  if (!options.secret) {
    throw new AuthConfigError(
      'auth is on (the server binds a non-loopback address) but no key is set: set BANTER_AUTH_SECRET ' +
        '(32+ bytes) or --auth-public-key, or --auth off to run without authentication',
    );
  }
  return createSecretKey(Buffer.from(options.secret, 'utf8'));
}

/** The token from `?token=` or a `banter.token.<jwt>` subprotocol. */
function tokenOf(req: IncomingMessage): string | null {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const fromQuery = url.searchParams.get('token');
  if (fromQuery) return fromQuery;
  const protocols = String(req.headers['sec-websocket-protocol'] ?? '').split(',');
  const carried = protocols.map((p) => p.trim()).find((p) => p.startsWith(TOKEN_PROTOCOL_PREFIX));
  return carried ? carried.slice(TOKEN_PROTOCOL_PREFIX.length) : null;
}

function checkOrigin(req: IncomingMessage, allowed: readonly string[]): void {
  const origin = req.headers.origin;
  if (origin === undefined) return; // not a browser: the token (if any) is the check
  if (allowed.includes(origin) || sameOrigin(origin, req)) return;
  throw new AuthRefusal(403, 'origin_refused', `origin ${origin.slice(0, 100)} is not allowed`);
}

function sameOrigin(origin: string, req: IncomingMessage): boolean {
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

/** The subprotocol to answer: banter.v1 when offered (never echo a token back). */
export function selectProtocol(offered: Set<string>): string | false {
  return offered.has(PROTOCOL_NAME) ? PROTOCOL_NAME : false;
}
