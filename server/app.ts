/**
 * HTTP + WebSocket server: /health, /metrics, the browser client, and the
 * protocol v1 stream at config.wsPath. Models load once here and are shared
 * by every session.
 */
import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import express, { type RequestHandler } from 'express';
import helmet from 'helmet';
import pino, { type Logger } from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import { readWav } from './audio/wav.ts';
import { resolveConfig, type ConfigOverrides, type ServerConfig } from './config.ts';
import { createMetrics, shareWithClusterPrimary } from './metrics.ts';
import { attachWsV1, wsV1Link } from './gateways/ws-v1.ts';
import { SHUTDOWN_DRAIN_MS } from './session/budgets.ts';
import { settleWithin } from './session/settle.ts';
import { Session, type SessionContext } from './session/session.ts';
import { PIPELINE_SAMPLE_RATE } from './audio/rates.ts';
import { resampleAll } from './audio/resampler.ts';
import { ModelRegistry } from './models/registry.ts';
import { RateLimitedLog } from './limits/rate-limited-log.ts';
import {
  AuthRefusal,
  createAuthenticator,
  selectProtocol,
  type Authenticator,
  type Caller,
} from './limits/auth.ts';
import { loadEotDetector } from './turn-taking/eot.ts';
import { loadSpeakerEncoder } from './speaker/speaker-encoder.ts';
import { loadRecognizer } from './asr/recognizers.ts';
import { loadLlm } from './duplex-llm/backends.ts';
import { loadSynthesizer } from './tts/synthesizers.ts';
import { openAiRouter } from './duplex-llm/openai-route.ts';
import { loadSilero } from './turn-taking/silero.ts';
import { SERVER_VERSION, serverCommit } from './version.ts';

export interface RunningServer {
  port: number;
  url: string;
  config: ServerConfig;
  /** Connections open now (a session each, started or not). */
  sessions: ReadonlySet<Session>;
  /**
   * Stops the server. With a deadline (a SIGTERM drain): /health turns to 503 "draining" and new
   * connections are refused at once, every session is told `shutting_down` with the time it has
   * left, sessions that end by themselves go, and at the deadline the rest are closed (1001) and
   * any socket that still will not close is cut. Without one (tests), sessions close at once.
   */
  close(options?: { deadlineMs?: number }): Promise<void>;
}

export interface StartOptions extends ConfigOverrides {
  /** Inject a logger (tests pass a silent one). */
  logger?: Logger;
}

export async function startServer(options: StartOptions = {}): Promise<RunningServer> {
  const { logger, ...overrides } = options;
  const config = resolveConfig(overrides);
  const log = logger ?? pino({ level: config.logLevel });
  const metrics = createMetrics();
  shareWithClusterPrimary(metrics.registry);
  // Every model loads (and is checked against its manifest) before the port opens: a missing or
  // broken model is a coded start-up error, never a failure in the middle of a call.
  const models = new ModelRegistry();
  const loaded = await loadModels(config, models).catch(async (err: unknown) => {
    await models.close(); // an in-process caller (a test, the evaluator) keeps running: release what did load
    throw err;
  });
  const { eot, vadModel, greeting, recognizer, speakerEncoder, llm, tts } = loaded;
  const auth = await createAuthenticator(config.auth, config.host).catch(async (err: unknown) => {
    await models.close();
    throw err;
  });
  const badInputLog = new RateLimitedLog(config.limits.badInputLog);
  const ctx: SessionContext = {
    config,
    vadModel,
    eot,
    recognizer,
    speakerEncoder,
    duplex: llm?.duplex ?? null,
    synthesizer: tts?.synthesizer ?? null,
    greeting,
    metrics,
    log,
    badInputLog,
  };
  if (ctx.duplex && ctx.synthesizer && !recognizer) {
    log.warn(
      'no recognizer (--asr): banter listens but cannot answer; --asr pocketsphinx works with Debian pocketsphinx',
    );
  }

  let draining = false;
  const app = express();
  app.disable('x-powered-by');
  // Security headers for the client page; its WebSocket may point at another banter (?ws=).
  app.use(helmet({ contentSecurityPolicy: { directives: { 'connect-src': ["'self'", 'ws:', 'wss:'] } } }));
  const commit = serverCommit(); // once, at start-up: it may run git
  app.get('/health', (_req, res) => {
    // A load balancer takes 503 as "send no new calls here"; the body says why.
    res.status(draining ? 503 : 200).json({
      status: draining ? 'draining' : 'ok',
      sessions: [...sessions].filter((s) => s.started).length,
      connections: sessions.size,
      // Behind a load balancer (or with several workers) this says which process answered.
      pid: process.pid,
      protocol: 1,
      version: SERVER_VERSION,
      commit,
      vad: vadModel.label,
      eot: `${eot.name}@${eot.version} (${eot.contract})`,
      asr: recognizer?.label ?? null,
      llm: llm?.duplex.label ?? null,
      tts: tts?.synthesizer.label ?? null,
      speaker: speakerEncoder ? `${speakerEncoder.label} (${config.speaker.mode})` : null,
    });
  });
  // banter's own model for any OpenAI client (and for banter's OpenAI backend on another instance).
  if (llm?.serve) app.use(openAiRouter(llm.chat, llm.duplex.label, scopeGuard(auth, 'llm')));
  app.get('/metrics', metricsGuard(auth), async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  // Only the page and its bundle: the client's sources and tests are not for the web.
  const clientDir = fileURLToPath(new URL('../client/', import.meta.url));
  if (existsSync(clientDir)) {
    for (const file of ['index.html', 'style.css']) {
      app.get(file === 'index.html' ? '/' : `/${file}`, (_req, res) => res.sendFile(`${clientDir}${file}`));
    }
    app.use('/dist', express.static(`${clientDir}dist`));
  }

  const http: Server = createServer(app);
  const sessions = new Set<Session>();
  const perAddress = new Map<string, number>();
  const limits = config.limits;
  const wss = new WebSocketServer({
    server: http,
    path: config.wsPath,
    maxPayload: config.maxPayloadBytes,
    handleProtocols: (offered) => selectProtocol(offered),
    // Refused before the upgrade, with an HTTP status a load balancer or client can act on.
    verifyClient: (info, done) => {
      const address = clientAddress(info.req, config.trustProxy);
      if (draining) return done(false, 503, 'server is draining');
      if (sessions.size >= limits.maxSessions) return done(false, 503, 'server is full');
      if ((perAddress.get(address) ?? 0) >= limits.maxConnectionsPerAddress) {
        return done(false, 429, 'too many connections from this address');
      }
      auth.check(info.req).then(
        (caller) => {
          callers.set(info.req, caller);
          done(true);
        },
        (err: unknown) => {
          if (!(err instanceof AuthRefusal)) {
            log.error({ err }, 'auth check failed');
            return done(false, 500);
          }
          badInputLog.warn(log, { reason: err.reason, address }, 'connection refused');
          done(false, err.status, err.message);
        },
      );
    },
  });

  const alive = new WeakMap<WebSocket, boolean>();
  const callers = new WeakMap<IncomingMessage, Caller>();
  const heartbeat = setInterval(() => {
    for (const ws of wss.clients) {
      if (alive.get(ws) === false) {
        ws.terminate(); // no pong since the last ping: the peer is gone ('close' still ends its session)
        continue;
      }
      alive.set(ws, false);
      ws.ping();
    }
  }, limits.heartbeatMs).unref();

  wss.on('connection', (ws: WebSocket, req: IncomingMessage) => {
    const address = clientAddress(req, config.trustProxy);
    perAddress.set(address, (perAddress.get(address) ?? 0) + 1);
    alive.set(ws, true);
    ws.on('pong', () => alive.set(ws, true));
    const caller = callers.get(req) ?? { subject: null, grants: {} };
    const session = new Session(wsV1Link(ws), ctx, {
      address,
      origin: req.headers.origin ?? null,
      subject: caller.subject,
      grants: caller.grants,
    });
    sessions.add(session);
    attachWsV1(ws, session, limits, () => {
      sessions.delete(session);
      const left = (perAddress.get(address) ?? 1) - 1;
      if (left > 0) perAddress.set(address, left);
      else perAddress.delete(address);
    });
    // ws emits 'error' for protocol violations (e.g. 1009 frame over maxPayload) and then closes.
    ws.on('error', (err) => badInputLog.warn(log, { err: err.message }, 'websocket error'));
  });

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(config.port, config.host, () => resolve());
  });
  const port = (http.address() as AddressInfo).port;
  log.info(
    {
      port,
      host: config.host,
      ws: config.wsPath,
      vad: vadModel.label,
      eot: eot.name,
      asr: recognizer?.label ?? null,
    },
    'banter listening',
  );

  return {
    port,
    url: `ws://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}${config.wsPath}`,
    config,
    sessions,
    async close({ deadlineMs = 0 } = {}) {
      if (draining) return;
      draining = true;
      log.info({ sessions: sessions.size, deadline_ms: deadlineMs }, 'banter draining');
      if (deadlineMs > 0) {
        const open = [...sessions];
        for (const s of open) s.notifyShutdown(deadlineMs);
        await settleWithin(
          open.map((s) => s.ended()),
          deadlineMs,
        );
      }
      const left = [...sessions];
      for (const s of left) s.goAway();
      // Audio already accepted is still heard, briefly; then whatever will not close is cut.
      await settleWithin(
        left.map((s) => s.drained()),
        SHUTDOWN_DRAIN_MS,
      );
      clearInterval(heartbeat);
      for (const ws of wss.clients) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
      recognizer?.close?.();
      await tts?.close();
      await models.close();
      log.info({ sessions_cut: left.length }, 'banter stopped');
    },
  };
}

/** With auth on, /metrics needs a Bearer token whose `scope` claim includes "metrics". */
export function metricsGuard(auth: Authenticator): RequestHandler {
  return scopeGuard(auth, 'metrics');
}

/** With auth on, an HTTP route needs a Bearer token whose `scope` claim includes `scope`. */
export function scopeGuard(auth: Authenticator, scope: string): RequestHandler {
  return (req, res, next) => {
    if (!auth.enabled) return next();
    const header = req.headers.authorization ?? '';
    const token = header.startsWith('Bearer ') ? header.slice(7) : '';
    auth.verify(token).then(
      (claims) => {
        const scopes = typeof claims.scope === 'string' ? claims.scope.split(' ') : [];
        if (scopes.includes(scope)) next();
        else res.status(403).type('text').send(`token lacks the ${scope} scope`);
      },
      () => res.status(401).type('text').send(`a Bearer token with the ${scope} scope is required`),
    );
  };
}

/** The caller's address: the socket's peer, or the first X-Forwarded-For hop behind a trusted proxy. */
function clientAddress(req: IncomingMessage, trustProxy: boolean): string {
  const forwarded = req.headers['x-forwarded-for'];
  if (trustProxy && typeof forwarded === 'string' && forwarded.length > 0) {
    return forwarded.split(',')[0].trim().slice(0, 64);
  }
  return req.socket.remoteAddress ?? 'unknown';
}

async function loadGreeting(path: string): Promise<Float32Array> {
  const wav = readWav(path);
  return resampleAll(wav.samples, wav.sampleRate, PIPELINE_SAMPLE_RATE);
}

async function loadModels(config: ServerConfig, models: ModelRegistry) {
  const eot = await loadEotDetector(config.eotModelPath, models);
  const vadModel = await loadSilero({
    version: config.vadVersion,
    modelPath: config.vadModelPath,
    registry: models,
  });
  const recognizer = await loadRecognizer(config.asr, models);
  // The encoder loads only when the gate is on: a server on the plain VAD needs no speaker model.
  const speakerEncoder =
    config.speaker.mode === 'off' ? null : await loadSpeakerEncoder(config.speaker.modelPath, models);
  const llm = await loadLlm(config.llm, models);
  const tts = await loadSynthesizer(config.tts, models);
  return {
    eot,
    vadModel,
    recognizer,
    speakerEncoder,
    llm,
    tts,
    greeting: await loadGreeting(config.greetingPath),
  };
}
