/**
 * The echo stage's cost on one core, per 32 ms frame (the VAD's frame): the delay estimator
 * (GCC-PHAT, every 500 ms over 1.5 s at 8 kHz, spread over the frames it covers), the
 * two-filter PBFDAF (16 partitions of 256 samples), and the two together as the session runs
 * them (createEchoCanceller). Input: the greeting through a room echo path.
 *
 *   npx tsx bench/echo.bench.ts [--seconds 30]
 *
 * Target (issue 15): under 0.5 ms per 32 ms frame for both stages together.
 * Prints a markdown table (docs/PERFORMANCE.md, "Echo").
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { applyEchoPath, ECHO_CONDITIONS } from '../fixtures/echo.ts';
import { readWav } from '../server/audio/wav.ts';
import { DelayEstimator } from '../server/echo/delay-estimator.ts';
import { createEchoCanceller, processWhole } from '../server/echo/echo-canceller.ts';
import { Fdaf } from '../server/echo/fdaf.ts';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '30' } } });
const seconds = Number(values.seconds);
const greeting = readWav(new URL('../fixtures/audio/greeting.wav', import.meta.url).pathname).samples;
const ref = new Float32Array(seconds * 16000);
for (let i = 0; i < ref.length; i++) ref[i] = greeting[i % greeting.length];
const mic = await applyEchoPath(ref, { ...ECHO_CONDITIONS['room-short'], seed: 1 });
const FRAME = 512;
const frames = Math.floor(ref.length / FRAME);

function perFrame(run: () => void): number {
  run(); // warm-up pass (JIT)
  const t0 = performance.now();
  run();
  return (performance.now() - t0) / frames;
}

const delay = perFrame(() => {
  const e = new DelayEstimator();
  for (let f = 0; f < frames; f++)
    e.push(ref.subarray(f * FRAME, (f + 1) * FRAME), mic.subarray(f * FRAME, (f + 1) * FRAME));
});
const fdaf = perFrame(() => {
  const a = new Fdaf();
  for (let b = 0; b + 256 <= frames * FRAME; b += 256)
    a.process(ref.subarray(b, b + 256), mic.subarray(b, b + 256));
});
const both = perFrame(() => processWhole(createEchoCanceller().createStream(), mic, ref, FRAME));

const rows = [
  ['delay estimator (GCC-PHAT)', delay],
  ['linear canceller (two-filter PBFDAF, 16 x 256)', fdaf],
  ['both, as a session runs them', both],
];
console.log(
  `echo stage, ${seconds} s of audio in 32 ms frames, one core (${os.cpus()[0]?.model ?? 'cpu'}):\n`,
);
console.log('| stage | ms per 32 ms frame | share of real time |');
console.log('|---|---|---|');
for (const [name, ms] of rows)
  console.log(`| ${name} | ${(ms as number).toFixed(3)} | ${(((ms as number) / 32) * 100).toFixed(2)} % |`);
