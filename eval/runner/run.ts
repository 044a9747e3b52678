/**
 * Runs a scenario suite end to end: render every caller's audio, hold the
 * conversations over WebSocket (several at once, each in real time), save
 * the recordings, then analyse and score them and write the report.
 *
 * The phases do not overlap on purpose: synthesis and analysis are CPU
 * heavy, and running them beside live sessions would delay the real-time
 * streams they are measuring.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnServer } from '../../server/testing/spawn-server.ts';
import { describeCheckout } from '../../server/version.ts';
import { loadSilero } from '../../server/turn-taking/silero.ts';
import { SimulatedCaller } from '../caller/caller.ts';
import { prepareConversation, type PreparedConversation } from '../caller/prepare.ts';
import { analyzeConversation } from '../metrics/analyze.ts';
import { ensurePocketsphinx } from '../metrics/asr.ts';
import { aggregate } from '../metrics/aggregate.ts';
import { scoreTimeline } from '../metrics/metrics.ts';
import type { Timeline } from '../metrics/timeline.ts';
import { silentProgress, type Progress } from '../progress.ts';
import { buildReport, writeReport } from '../report/report.ts';
import type { Report, RunInfo, ServerStamp } from '../report/types.ts';
import type { Suite } from '../scenario/schema.ts';
import { listConversations, loadConversation, saveConversation } from './artifacts.ts';
import { runSession } from './client.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export interface RunOptions {
  suite: Suite;
  outDir: string;
  /** A server's WebSocket URL; when absent, banter is started in this process on a free port. */
  url?: string;
  /** Conversations held at once. Default 6. */
  concurrency: number;
  /** Install pocketsphinx with apt-get when missing (root only). Default true. */
  installAsr: boolean;
  /** Skip the recognizer even when installed. Default false. */
  noAsr: boolean;
  allowAnyVoice: boolean;
  /** The greeting's script, for the recognizer check; read from fixtures when banter runs in process. */
  greetingText?: string;
  /** Without url: run banter in this process instead of its own (default false: its own process, as deployed). */
  inProcess: boolean;
  /** Stream faster than real time (only for servers on a virtual clock). Default 1. */
  speed: number;
  /** Flags for banter when it is started as its own process (ablations: `--end-of-turn silence`). */
  serverArgs: string[];
  progress: Progress;
  /** The command line, recorded in the report. */
  command?: string;
}

export async function runSuite(
  options: Partial<RunOptions> & Pick<RunOptions, 'suite' | 'outDir'>,
): Promise<Report> {
  const o: RunOptions = {
    concurrency: 6,
    installAsr: true,
    noAsr: false,
    allowAnyVoice: false,
    inProcess: false,
    speed: 1,
    serverArgs: [],
    progress: silentProgress(),
    ...options,
  };
  const started = performance.now();
  mkdirSync(o.outDir, { recursive: true });
  const asr = o.noAsr
    ? { available: false, reason: 'disabled (--no-asr)' }
    : ensurePocketsphinx({ install: o.installAsr, log: (l) => o.progress.log(l) });
  if (!asr.available) o.progress.log(`warning: ${asr.reason}; word-level metrics will be n/a`);

  // 1. Caller audio.
  const prepared: PreparedConversation[] = [];
  o.progress.phase('synthesize', o.suite.conversations.length);
  await pool(o.suite.conversations, 2, async (c) => {
    prepared.push(await prepareConversation(c, { allowAnyVoice: o.allowAnyVoice }));
    o.progress.tick(c.id);
  });
  prepared.sort(
    (a, b) => o.suite.conversations.indexOf(a.conversation) - o.suite.conversations.indexOf(b.conversation),
  );
  const standIns = prepared.flatMap((p) => p.notes);
  if (standIns.length)
    o.progress.log(`note: ${standIns.length} stand-ins used (listed in the report), e.g. ${standIns[0]}`);

  // 2. Conversations, in real time.
  let server: { url: string; close(): Promise<void> } | null = null;
  let greetingText = o.greetingText;
  if (!o.url) {
    server = o.inProcess ? await startLocalServer() : await spawnLocalServer(60_000, o.serverArgs);
    greetingText ??= localGreetingText();
  }
  const url = o.url ?? server!.url;
  const commit = checkoutCommit();
  const info: RunInfo = {
    url,
    local: o.url ? null : o.inProcess ? 'in process' : 'own process',
    vad: null,
    maxLagMs: 0,
    sessionsFailed: 0,
    ...(commit ? { commit } : {}),
    suiteHash: suiteHash(o.suite),
    server: await serverStamp(url),
  };
  try {
    o.progress.phase(`converse x${o.concurrency}`, prepared.length);
    await pool(prepared, o.concurrency, async (p) => {
      const caller = new SimulatedCaller(p);
      const c = p.conversation;
      const rec = await runSession(caller, { url, greeting: c.greeting ?? true, speed: o.speed });
      info.vad ??= rec.ready?.vad ?? null;
      info.maxLagMs = Math.max(info.maxLagMs, rec.pacing.maxLagMs);
      if (rec.error) {
        info.sessionsFailed++;
        o.progress.log(`${c.id}: ${rec.error}`);
      }
      saveConversation(
        o.outDir,
        {
          id: c.id,
          ...(c.description ? { description: c.description } : {}),
          ...(c.difficulty ? { difficulty: c.difficulty } : {}),
          voice: c.voice,
          ...(c.background ? { background: `${c.background.source} at ${c.background.snr_db} dB SNR` } : {}),
          sampleRate: rec.sampleRate,
          caller: rec.caller,
          system: rec.system,
          stimuli: caller.placed,
          skipped: caller.skipped,
          events: rec.events,
          notes: p.notes,
          ...(rec.error ? { error: rec.error } : {}),
        },
        { pacing: rec.pacing },
      );
      o.progress.tick(`${c.id}${rec.error ? ' (failed)' : ''}`);
    });
  } finally {
    await server?.close();
  }

  // 3. Analysis and report.
  const ids = o.suite.conversations.map((c) => c.id).filter((id) => listConversations(o.outDir).includes(id));
  const timelines = await analyzeRun(o.outDir, ids, { asr: asr.available, progress: o.progress });
  o.progress.end();
  const report = buildReport({
    suite: {
      name: o.suite.name,
      description: o.suite.description ?? '',
      conversations: o.suite.conversations.length,
    },
    timelines,
    asr: asr.available ? 'pocketsphinx (Debian, en-us)' : null,
    asrReason: asr.reason,
    greetingText,
    run: { ...info, wallMs: performance.now() - started },
    command: o.command,
  });
  writeReport(o.outDir, report);
  return report;
}

/** Analyses saved conversations (VAD on both channels, ASR on the system side). */
export async function analyzeRun(
  outDir: string,
  ids: string[],
  options: { asr: boolean; progress?: Progress },
): Promise<Timeline[]> {
  const progress = options.progress ?? silentProgress();
  const vad = await loadSilero({ version: 'v5' });
  const timelines: Timeline[] = new Array(ids.length);
  progress.phase('analyse', ids.length);
  try {
    // Two at a time: pocketsphinx runs in a child process while Silero runs here.
    await pool(
      ids.map((id, i) => ({ id, i })),
      2,
      async ({ id, i }) => {
        timelines[i] = await analyzeConversation(loadConversation(outDir, id), { vad, asr: options.asr });
        progress.tick(id);
      },
    );
  } finally {
    await vad.release();
  }
  return timelines;
}

/** Scores timelines (pure); re-exported for `eval score`. */
export function scoreAll(timelines: Timeline[], asr: boolean, greetingText?: string) {
  const outcomes = timelines.flatMap((t) => scoreTimeline(t));
  return { outcomes, metrics: aggregate(timelines, outcomes, { asr, expectedGreeting: greetingText }) };
}

interface LocalServer {
  url: string;
  close(): Promise<void>;
}

/**
 * banter as its own process (`server/main.ts --port 0`), as it is deployed:
 * the callers' pacing and the server's pacing do not share an event loop,
 * and the server gets the machine's other core.
 */
export async function spawnLocalServer(timeoutMs = 60_000, extraArgs: string[] = []): Promise<LocalServer> {
  const server = await spawnServer({ args: ['--port', '0', '--log-level', 'warn', ...extraArgs], timeoutMs });
  return { url: server.url, close: () => server.close() };
}

/** banter in this process on a free port, quiet. Loaded lazily so the harness also runs against servers elsewhere. */
export async function startLocalServer(): Promise<LocalServer> {
  const { startServer } = await import('../../server/index.ts');
  return startServer({ port: 0, logLevel: 'silent' });
}

/** sha256 of the suite as parsed (first 16 hex digits): the same hash, the same script. */
export function suiteHash(suite: Suite): string {
  return createHash('sha256').update(JSON.stringify(suite)).digest('hex').slice(0, 16);
}

/** The server's /health, read next to its WebSocket URL; a server without one is said to be. */
export async function serverStamp(wsUrl: string): Promise<ServerStamp> {
  try {
    const u = new URL(wsUrl);
    u.protocol = u.protocol === 'wss:' ? 'https:' : 'http:';
    u.pathname = '/health';
    u.search = '';
    const res = await fetch(u, { signal: AbortSignal.timeout(3000) });
    if (!res.ok) return { unavailable: `HTTP ${res.status}` };
    const h = (await res.json()) as Record<string, unknown>;
    const str = (k: string) => (typeof h[k] === 'string' ? (h[k] as string) : undefined);
    const opt = (k: string) =>
      typeof h[k] === 'string' ? (h[k] as string) : h[k] === null ? null : undefined;
    return {
      version: str('version'),
      commit: str('commit'),
      vad: str('vad'),
      eot: str('eot'),
      asr: opt('asr'),
      llm: opt('llm'),
      tts: opt('tts'),
      speaker: opt('speaker'),
    };
  } catch (e) {
    return { unavailable: (e as Error).message };
  }
}

/** The checkout's commit (`git describe --always --dirty`), or null outside a git checkout. */
export function checkoutCommit(): string | null {
  return describeCheckout(repoRoot);
}

/** The script of banter's bundled greeting (fixtures/audio/greeting.json). */
export function localGreetingText(): string | undefined {
  try {
    const truth = JSON.parse(readFileSync(join(repoRoot, 'fixtures/audio/greeting.json'), 'utf8')) as {
      speech?: Array<{ text?: string }>;
    };
    return (
      truth.speech
        ?.map((s) => s.text ?? '')
        .join(' ')
        .trim() || undefined
    );
  } catch {
    return undefined;
  }
}

/** Runs fn over items with at most `limit` in flight; rejects on the first failure after the others settle. */
export async function pool<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: unknown = null;
  const worker = async () => {
    while (next < items.length && failure === null) {
      const item = items[next++];
      try {
        await fn(item);
      } catch (err) {
        failure ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failure !== null) throw failure;
}
