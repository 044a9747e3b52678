/**
 * How many concurrent real-time sessions (VAD only) one server process keeps
 * up with. The server runs in its own process; this process streams the same
 * speech fixture on N WebSockets at once, in real time (20 ms PCM16 frames),
 * and measures per session:
 * - lag: wall time from sending a marker (after the last frame) to its echo,
 *   i.e. how much unprocessed audio had piled up;
 * - event lag: arrival of each vad.speech_start minus the moment its
 *   confirming audio was sent.
 * A level "keeps up" when the p95 marker lag stays under 250 ms and every
 * session heard every utterance.
 *
 *   npx tsx bench/vad-sessions.ts [levels, default 25,50,100,150,200] [seconds, default 10] [workers, default 1]
 *
 * `workers` is the server's --workers: with more than one, server CPU is summed over the worker
 * processes. Run it once with 1 and once with 2 to compare one event loop with one per core.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { readWav } from '../server/audio/wav.ts';
import { floatToPcm16 } from '../server/audio/pcm.ts';
import { spawnServer } from '../server/testing/spawn-server.ts';
import { StreamClient, chunkPcm16, sleep } from '../server/testing/stream-client.ts';

const levels = (process.argv[2] ?? '25,50,100,150,200').split(',').map(Number);
const seconds = Number(process.argv[3] ?? 10);
const workers = Number(process.argv[4] ?? 1);
const KEEP_UP_P95_MS = 250;

const audio = readWav(new URL('../fixtures/audio/speech_rms.wav', import.meta.url).pathname).samples;
const truth = JSON.parse(
  readFileSync(new URL('../fixtures/audio/speech_rms.json', import.meta.url), 'utf8'),
) as { speech: { startMs: number; endMs: number }[] };
/** Utterances that start inside the streamed audio (the VAD closes the last one on the marker's flush at most). */
const expected = truth.speech.filter((s) => s.startMs + 200 < seconds * 1000).length;
const frames = chunkPcm16(
  floatToPcm16(audio.subarray(0, Math.min(audio.length, seconds * 16000))),
  16000,
  20,
);

const banter = await spawnServer({
  args: [
    '--port',
    '0',
    '--log-level',
    'warn',
    '--workers',
    String(workers),
    // The load comes from this one address, past the default limits.
    '--max-sessions',
    '1000',
    '--max-connections-per-address',
    '1000',
  ],
  inheritStderr: true,
});
const { url } = banter;
const server = banter.child;

/** CPU seconds (user + system) of one process so far, and its parent pid, from /proc. */
function procStat(pid: number): { cpu: number; ppid: number } {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return { cpu: (Number(fields[11]) + Number(fields[12])) / 100, ppid: Number(fields[1]) };
}

/** CPU seconds the server has used so far: its process and, with workers, every child of it. */
function serverCpuSeconds(): number {
  let total = procStat(server.pid!).cpu;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = procStat(Number(entry));
      if (stat.ppid === server.pid) total += stat.cpu;
    } catch {
      // the process ended while we looked
    }
  }
  return total;
}

const q = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];

console.log(
  `server: ${url} (${workers} worker${workers > 1 ? 's' : ''}); audio per session: ${(frames.length * 20) / 1000} s`,
);
console.log(
  '| sessions | marker lag p50 ms | p95 ms | max ms | speech_start lag p95 ms | utterances heard | server CPU (cores) | CPU ms per session-second | keeps up |',
);
console.log('|---|---|---|---|---|---|---|---|---|');
let best = 0;
for (const n of levels) {
  const clients = await Promise.all(
    Array.from({ length: n }, () => StreamClient.start(url, { greeting: false })),
  );
  const cpu0 = serverCpuSeconds();
  const wall0 = performance.now();
  // Stagger the starts over one frame so the load is even, as real callers would be.
  await Promise.all(
    clients.map(async (c, i) => {
      await sleep((i * 20) / n);
      await c.stream(frames, 20, true);
    }),
  );
  const lags = await Promise.all(
    clients.map(async (c) => {
      const t0 = performance.now();
      await c.flush();
      return performance.now() - t0;
    }),
  );
  const cores = (serverCpuSeconds() - cpu0) / ((performance.now() - wall0) / 1000);
  const perSession = (cores * 1000) / n;
  const eventLags = clients.flatMap((c) =>
    c.events
      .filter((e) => e.message.type === 'vad.speech_start')
      .map((e) => {
        const confirmedAt = (e.message as { t_ms: number }).t_ms + 64;
        return e.sentAudioMs - confirmedAt;
      }),
  );
  const heard = clients.filter((c) => c.messages('vad.speech_start').length === expected).length;
  await Promise.all(clients.map((c) => c.close()));
  const ok = q(lags, 0.95) < KEEP_UP_P95_MS && heard === n;
  if (ok) best = n;
  console.log(
    `| ${n} | ${q(lags, 0.5).toFixed(0)} | ${q(lags, 0.95).toFixed(0)} | ${Math.max(...lags).toFixed(0)} | ${q(eventLags, 0.95).toFixed(0)} | ${heard}/${n} | ${cores.toFixed(2)} | ${perSession.toFixed(1)} | ${ok ? 'yes' : 'no'} |`,
  );
  await sleep(500);
}
console.log(`\nmost concurrent real-time sessions kept up with: ${best}`);
server.kill('SIGTERM');
