/**
 * The protocol fuzzer as a command, for runs longer than CI's:
 *
 *   npm run fuzz -- [--url ws://host:port/v1/stream] [--seed N] [--connections 2000] [--length 100] [--concurrency 16]
 *
 * Without --url it starts a server in this process on the embedded models. A reference session
 * streams fixtures/audio/speech_rms.wav before and beside the fuzzer and must see the same events.
 * Exits 1 on any violation (an off-schema reply, an internal error, an unexpected close code, a hang).
 */
import { parseArgs } from 'node:util';
import pino from 'pino';
import { startServer } from '../app.ts';
import { readWav } from '../audio/wav.ts';
import { defaultConfig } from '../config.ts';
import { referenceSession, runFuzz } from './protocol-fuzz.ts';

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    seed: { type: 'string', default: String(Date.now() % 1_000_000) },
    connections: { type: 'string', default: '2000' },
    length: { type: 'string', default: '100' },
    concurrency: { type: 'string', default: '16' },
  },
});

const server = values.url ? null : await startServer({ port: 0, logger: pino({ level: 'silent' }) });
const url = values.url ?? server!.url;
const config = server?.config ?? defaultConfig;
const speech = readWav(new URL('../../fixtures/audio/speech_rms.wav', import.meta.url).pathname);
const seed = Number(values.seed);
const t0 = performance.now();
const alone = await referenceSession(url, speech.samples, speech.sampleRate);
const [report, beside] = await Promise.all([
  runFuzz({
    url,
    seed,
    connections: Number(values.connections),
    length: Number(values.length),
    concurrency: Number(values.concurrency),
    sizes: { maxControlBytes: config.limits.maxControlBytes, maxPayloadBytes: config.maxPayloadBytes },
  }),
  referenceSession(url, speech.samples, speech.sampleRate),
]);
if (JSON.stringify(beside.seen) !== JSON.stringify(alone.seen)) {
  report.violations.push('the reference session saw different events beside the fuzzer than alone');
}
const { violations, ...summary } = report;
console.log(
  JSON.stringify({ seed, url, seconds: Math.round((performance.now() - t0) / 1000), ...summary }, null, 2),
);
for (const v of violations.slice(0, 50)) console.error(v);
await server?.close();
process.exit(violations.length > 0 ? 1 : 0);
