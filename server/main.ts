/**
 * Entry point: `npm start` (flags: docs in README.md, "Options").
 *
 * One event loop serves every session of a process, so the server runs one worker process per
 * core (`--workers N|auto`, BANTER_WORKERS; default auto) with node:cluster: the workers share
 * the port, each owns its models and its sessions, and new connections are dealt round-robin.
 * The primary only supervises: it restarts a worker that dies, and on SIGTERM tells every worker
 * to drain and exits 0 once they all have.
 */
import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import express from 'express';
import { AggregatorRegistry } from 'prom-client';
import { z } from 'zod';
import { metricsGuard } from './app.ts';
import { ModelError, configFromEnvironment, resolveConfig, startServer } from './index.ts';
import { AuthConfigError, createAuthenticator } from './limits/auth.ts';

/** The worker count from --workers / BANTER_WORKERS: a number, or auto (one per core). */
function workerCount(argv: string[], env: NodeJS.ProcessEnv): { count: number; rest: string[] } {
  const rest = [...argv];
  let value = env.BANTER_WORKERS ?? 'auto';
  const i = rest.findIndex((a) => a === '--workers' || a.startsWith('--workers='));
  if (i >= 0) {
    const inline = rest[i].split('=')[1];
    value = inline ?? rest[i + 1] ?? '';
    rest.splice(i, inline === undefined ? 2 : 1);
  }
  const count = value === 'auto' ? availableParallelism() : Number(value);
  if (!Number.isInteger(count) || count < 1) {
    console.error(`banter cannot start: --workers must be a positive integer or auto, not ${value}`);
    process.exit(2);
  }
  return { count, rest };
}

const { count, rest: argv } = workerCount(process.argv.slice(2), process.env);
// Flags and environment are checked once, before any worker starts: a bad value is one line and
// exit 2, not a parser's stack trace from every worker.
const overrides = configOrExit(argv, process.env);

/** The configuration overrides, or exit 2 naming the flag or field that is wrong. */
function configOrExit(args: string[], env: NodeJS.ProcessEnv): ReturnType<typeof configFromEnvironment> {
  try {
    const o = configFromEnvironment(args, env);
    resolveConfig(o);
    return o;
  } catch (err) {
    if (err instanceof z.ZodError) {
      const issues = err.issues.map((i) => `${i.path.join('.') || '(config)'}: ${i.message}`).join('; ');
      console.error(`banter cannot start: invalid configuration: ${issues}`);
    } else if (
      err instanceof TypeError &&
      String((err as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS')
    ) {
      console.error(`banter cannot start: ${err.message}`);
    } else throw err;
    process.exit(2);
  }
}

if (cluster.isPrimary && count > 1) await supervise(count);
else await serve(cluster.isWorker);

/** One server in this process (a worker, or the whole server with --workers 1). */
async function serve(isWorker: boolean): Promise<void> {
  const server = await startServer(overrides).catch((err: unknown) => {
    if (!(err instanceof ModelError) && !(err instanceof AuthConfigError)) throw err;
    // A one-line reason instead of a stack trace: the operator's fix is in the model folder or the auth options.
    console.error(`banter cannot start: ${err.message}`);
    process.exit(2);
  });
  if (isWorker) process.send?.({ type: 'listening', port: server.port, url: server.url });
  else announce(server.port, server.url, 1);

  // First signal: drain (health 503, new calls refused, callers told, closed at the deadline), exit 0.
  // A second signal: exit at once.
  let stopping = false;
  // Ctrl-C in a terminal sends SIGINT to the whole process group: a worker leaves it to the
  // primary, which relays one SIGTERM (else the relay would count as this worker's second signal).
  if (isWorker) process.on('SIGINT', () => {});
  for (const signal of isWorker ? (['SIGTERM'] as const) : (['SIGINT', 'SIGTERM'] as const)) {
    process.on(signal, () => {
      if (stopping) process.exit(1);
      stopping = true;
      void server.close({ deadlineMs: server.config.shutdownDeadlineMs }).then(() => process.exit(0));
    });
  }
}

/** --metrics-port: the primary serves /metrics summed over every worker (behind the same auth as the workers'). */
async function serveClusterMetrics(): Promise<void> {
  const config = resolveConfig(overrides);
  if (config.metricsPort === undefined) return;
  const auth = await createAuthenticator(config.auth, config.host).catch((err: unknown) => {
    console.error(`banter cannot start: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(2);
  });
  const aggregator = new AggregatorRegistry();
  const app = express();
  app.disable('x-powered-by');
  app.get('/metrics', metricsGuard(auth), async (_req, res) => {
    try {
      res.type(aggregator.contentType).send(await aggregator.clusterMetrics());
    } catch (err) {
      res
        .status(503)
        .type('text')
        .send(`metrics unavailable: ${err instanceof Error ? err.message : String(err)}`);
    }
  });
  const listener = app.listen(config.metricsPort, config.host, () => {
    const address = listener.address();
    const port = typeof address === 'object' && address ? address.port : config.metricsPort;
    console.log(`banter metrics (all workers): http://${config.host}:${port}/metrics`);
  });
  listener.unref();
}

function announce(port: number, url: string, workers: number): void {
  const across = workers > 1 ? ` across ${workers} worker processes` : '';
  console.log(`banter is listening: http://127.0.0.1:${port}/ (WebSocket ${url})${across}. Ctrl-C stops it.`);
}

/** The primary: forks the workers, restarts one that dies, drains them all on a signal. */
async function supervise(workers: number): Promise<void> {
  let stopping = false;
  let announced = false;
  const ready = new Set<Worker>();
  const fork = () => {
    const worker = cluster.fork();
    worker.on('message', (msg: { type?: string; port?: number; url?: string }) => {
      if (msg.type !== 'listening') return;
      ready.add(worker);
      if (!announced && ready.size === workers) {
        announced = true;
        announce(msg.port!, msg.url!, workers);
      }
    });
  };
  cluster.on('exit', (worker, code, signal) => {
    ready.delete(worker);
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
      return;
    }
    if (code === 2) {
      // A start-up error (bad model folder, auth without a key) would fail again on every restart.
      console.error('banter: a worker could not start; stopping');
      process.exit(2);
    }
    console.error(`banter: worker ${worker.process.pid} died (${signal ?? code}); starting another`);
    fork();
  });
  for (let i = 0; i < workers; i++) fork();
  await serveClusterMetrics();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) {
        for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGKILL');
        process.exit(1);
      }
      stopping = true;
      // Each worker drains its own sessions; the primary exits when the last one has.
      for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
    });
  }
}
