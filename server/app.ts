/**
 * HTTP + WebSocket server: /health, /metrics, the browser client, and the
 * protocol v1 stream at config.wsPath. Models load once here and are shared
 * by every session.
 */
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import express from 'express';
import pino, { type Logger } from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import { readWav } from './audio/wav.ts';
import { resolveConfig, type ConfigOverrides, type ServerConfig } from './config.ts';
import { createMetrics } from './metrics.ts';
import { attachWsV1, wsV1Link } from './gateways/ws-v1.ts';
import { CLOSE_CODES } from './protocol/errors.ts';
import { SHUTDOWN_DRAIN_MS } from './session/budgets.ts';
import { settleWithin } from './session/settle.ts';
import { Session, type SessionContext } from './session/session.ts';
import { PIPELINE_SAMPLE_RATE } from './audio/rates.ts';
import { resampleAll } from './audio/resampler.ts';
import { ModelRegistry } from './models/registry.ts';
import { loadEotDetector } from './turn-taking/eot.ts';
import { loadRecognizer } from './asr/recognizers.ts';
import { loadSilero } from './turn-taking/silero.ts';

export interface RunningServer {
  port: number;
  url: string;
  config: ServerConfig;
  /** Sessions open now. */
  sessions: ReadonlySet<Session>;
  close(): Promise<void>;
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
  // Every model loads (and is checked against its manifest) before the port opens: a missing or
  // broken model is a coded start-up error, never a failure in the middle of a call.
  const models = new ModelRegistry();
  const loaded = await loadModels(config, models).catch(async (err: unknown) => {
    await models.close(); // an in-process caller (a test, the evaluator) keeps running: release what did load
    throw err;
  });
  const { eot, vadModel, greeting, recognizer } = loaded;
  const ctx: SessionContext = { config, vadModel, eot, recognizer, greeting, metrics, log };

  const app = express();
  app.disable('x-powered-by');
  app.get('/health', (_req, res) => {
    res.json({
      status: 'ok',
      sessions: sessions.size,
      protocol: 1,
      vad: vadModel.label,
      eot: `${eot.name}@${eot.version} (${eot.contract})`,
      asr: recognizer?.label ?? null,
    });
  });
  app.get('/metrics', async (_req, res) => {
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
  const wss = new WebSocketServer({ server: http, path: config.wsPath, maxPayload: config.maxPayloadBytes });
  const sessions = new Set<Session>();

  wss.on('connection', (ws: WebSocket) => {
    const session = new Session(wsV1Link(ws), ctx);
    sessions.add(session);
    attachWsV1(ws, session, () => sessions.delete(session));
    // ws emits 'error' for protocol violations (e.g. 1009 frame over maxPayload) and then closes.
    ws.on('error', (err) => log.warn({ err: err.message }, 'websocket error'));
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
    async close() {
      for (const ws of wss.clients) ws.close(CLOSE_CODES.goingAway, 'server shutting down');
      await settleWithin(
        [...sessions].map((s) => s.drained()),
        SHUTDOWN_DRAIN_MS,
      );
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      for (const ws of wss.clients) ws.terminate();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
      recognizer?.close?.();
      await models.close();
    },
  };
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
  return { eot, vadModel, recognizer, greeting: await loadGreeting(config.greetingPath) };
}
