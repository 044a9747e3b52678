/**
 * banter as its own process (`server/main.ts`), as it is deployed: for tests of the process
 * itself, benchmarks and the evaluator. Resolves once the server has said it is listening.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

export interface SpawnedServer {
  child: ChildProcess;
  /** The HTTP port and the protocol v1 WebSocket URL it announced. */
  port: number;
  url: string;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  /** Resolves with the exit code once it has exited. */
  exited: Promise<number | null>;
  /** SIGTERM (a drain), then SIGKILL after `killAfterMs`; resolves once it has exited. */
  close(killAfterMs?: number): Promise<void>;
}

export interface SpawnOptions {
  /** Flags after `server/main.ts` (default `--port 0`). */
  args?: string[];
  env?: Record<string, string>;
  /** Give up waiting for the listening line after this long, ms. Default 60000. */
  timeoutMs?: number;
  /** Print its stderr here as well (benchmarks show the server's warnings). */
  inheritStderr?: boolean;
  /** Its own process group (pid = group id), so a test can signal the group as a terminal's Ctrl-C does. */
  detached?: boolean;
}

export async function spawnServer(options: SpawnOptions = {}): Promise<SpawnedServer> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'server/main.ts', ...(options.args ?? ['--port', '0'])],
    {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', options.inheritStderr ? 'inherit' : 'pipe'],
      detached: options.detached ?? false,
      env: { ...process.env, ...options.env },
    },
  );
  let out = '';
  const onData = (b: Buffer) => (out += b.toString());
  child.stdout!.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const timeoutMs = options.timeoutMs ?? 60_000;
  const { port, url } = await new Promise<{ port: number; url: string }>((resolve, reject) => {
    const listening = /listening: http:\/\/[^:]+:(\d+)\/ \(WebSocket (ws:\/\/\S+)\)/;
    const timer = setTimeout(() => {
      clearInterval(poll);
      reject(new Error(`banter did not start within ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    const poll = setInterval(() => {
      const m = listening.exec(out);
      if (!m) return;
      clearInterval(poll);
      clearTimeout(timer);
      resolve({ port: Number(m[1]), url: m[2] });
    }, 20);
    void exited.then((code) => {
      clearInterval(poll);
      clearTimeout(timer);
      reject(new Error(`banter exited (${code}) before listening:\n${out}`));
    });
  });
  return {
    child,
    port,
    url,
    output: () => out,
    exited,
    async close(killAfterMs = 5000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      await exited;
      clearTimeout(t);
    },
  };
}
