/**
 * Soak: concurrent sessions cycling for a long time against one server process, watching for
 * leaks and drift. Each caller loops: connect, session.start with the greeting, stream real
 * speech in real time (a fixture that barges in on the greeting, then one with three
 * utterances), a marker, session.end, and again.
 *
 *   npx tsx bench/soak.ts [minutes, default 30] [sessions, default 8] [sample seconds, default 30]
 *
 * Every sample: the server's RSS (from /proc), its event-loop delay p99 over the sample (the
 * server's own prom-client gauge, reset at each scrape), the marker round trip of the sample's
 * cycles, and the cycles done. After a warm-up (the first fifth of the run) it fails (exit 1)
 * when RSS grew by 10% or more from the first sample after warm-up to the mean of the last
 * three, or when the marker round trip or loop delay of the last fifth is more than double the
 * first after warm-up and more than 50 ms. Also on any session error.
 */
import { readFileSync } from 'node:fs';
import { floatToPcm16 } from '../server/audio/pcm.ts';
import { readWav } from '../server/audio/wav.ts';
import { spawnServer } from '../server/testing/spawn-server.ts';
import { StreamClient, chunkPcm16, sleep } from '../server/testing/stream-client.ts';

const minutes = Number(process.argv[2] ?? 30);
const sessions = Number(process.argv[3] ?? 8);
const sampleSeconds = Number(process.argv[4] ?? 30);
const fixture = (name: string) => {
  const wav = readWav(new URL(`../fixtures/audio/${name}.wav`, import.meta.url).pathname);
  return chunkPcm16(floatToPcm16(wav.samples), wav.sampleRate, 20);
};
const scripts = [fixture('barge_in'), fixture('speech_rms')];

const banter = await spawnServer({
  args: ['--port', '0', '--workers', '1', '--log-level', 'warn'],
  inheritStderr: true,
});
const { url } = banter;
const server = banter.child;
const httpBase = url.replace('ws://', 'http://').replace(/\/v1\/stream$/, '');

const rssMb = () => {
  const line = readFileSync(`/proc/${server.pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'))!;
  return Number(line.split(/\s+/)[1]) / 1024;
};
async function loopDelayP99Ms(): Promise<number> {
  const text = await (await fetch(`${httpBase}/metrics`)).text();
  const m = /^banter_nodejs_eventloop_lag_p99_seconds (\S+)$/m.exec(text);
  return m ? Number(m[1]) * 1000 : NaN;
}

const errors: string[] = [];
let markerMs: number[] = [];
let cycles = 0;
const deadline = performance.now() + minutes * 60_000;

async function caller(index: number): Promise<void> {
  await sleep(index * 700); // staggered, as real calls are
  for (let n = 0; performance.now() < deadline; n++) {
    const client = await StreamClient.start(url, { greeting: true });
    await client.stream(scripts[(n + index) % scripts.length], 20, true);
    const t0 = performance.now();
    await client.flush();
    markerMs.push(performance.now() - t0);
    client.sendJson({ type: 'session.end' });
    await client.whenClosed();
    for (const e of client.messages('error')) errors.push(`${e.code}: ${e.message}`);
    if (client.closeCode !== 1000) errors.push(`closed with ${client.closeCode}`);
    cycles++;
  }
}

interface Sample {
  minute: number;
  rssMb: number;
  loopP99Ms: number;
  markerP95Ms: number;
  cycles: number;
}
const samples: Sample[] = [];
const q = (xs: number[], p: number) =>
  xs.length ? [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))] : NaN;

console.log(`soak: ${sessions} sessions cycling for ${minutes} min against ${url}`);
console.log('| minute | RSS MB | event-loop delay p99 ms | marker round trip p95 ms | cycles |');
console.log('|---|---|---|---|---|');
const t0 = performance.now();
await loopDelayP99Ms(); // resets the server's delay histogram: the first sample covers its own window
const sampler = (async () => {
  while (performance.now() < deadline) {
    await sleep(sampleSeconds * 1000);
    const sample = {
      minute: (performance.now() - t0) / 60_000,
      rssMb: rssMb(),
      loopP99Ms: await loopDelayP99Ms(),
      markerP95Ms: q(markerMs, 0.95),
      cycles,
    };
    markerMs = [];
    samples.push(sample);
    console.log(
      `| ${sample.minute.toFixed(1)} | ${sample.rssMb.toFixed(0)} | ${sample.loopP99Ms.toFixed(1)} | ${sample.markerP95Ms.toFixed(0)} | ${sample.cycles} |`,
    );
  }
})();
await Promise.all([...Array.from({ length: sessions }, (_, i) => caller(i)), sampler]);
server.kill('SIGTERM');

const warm = samples.filter((s) => s.minute >= minutes / 5);
const fifth = Math.max(1, Math.floor(warm.length / 5));
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const first = warm.slice(0, fifth);
const last = warm.slice(-fifth);
const rssGrowth = mean(warm.slice(-3).map((s) => s.rssMb)) / warm[0].rssMb - 1;
const drift = (pick: (s: Sample) => number) => {
  const a = mean(first.map(pick));
  const b = mean(last.map(pick));
  return { first: a, last: b, drifted: b > 2 * a && b > 50 };
};
const marker = drift((s) => s.markerP95Ms);
const loop = drift((s) => s.loopP99Ms);
const verdict = {
  cycles,
  rssAfterWarmUpMb: Math.round(warm[0].rssMb),
  rssEndMb: Math.round(mean(warm.slice(-3).map((s) => s.rssMb))),
  rssGrowthPct: Number((rssGrowth * 100).toFixed(1)),
  markerP95Ms: { first: Math.round(marker.first), last: Math.round(marker.last) },
  loopP99Ms: { first: Number(loop.first.toFixed(1)), last: Number(loop.last.toFixed(1)) },
  errors: errors.length,
};
console.log(`\n${JSON.stringify(verdict)}`);
for (const e of errors.slice(0, 20)) console.error(e);
const failed = rssGrowth >= 0.1 || marker.drifted || loop.drifted || errors.length > 0;
console.log(failed ? 'FAIL' : 'PASS');
process.exit(failed ? 1 : 0);
