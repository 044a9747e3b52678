/**
 * Speaker encoder cost on one core: fbank per 10 ms frame, and one embedding of 0.5 s, 1.5 s
 * (a barge-in gate's window) and 3 s (an enrollment) of speech, fbank included.
 *
 *   npx tsx bench/speaker.bench.ts [modelDir] [--calls 200]
 *
 * Prints a markdown table (docs/PERFORMANCE.md, "Speaker encoder").
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { Fbank } from '../server/audio/features/fbank.ts';
import { readWav } from '../server/audio/wav.ts';
import { ModelRegistry, bundledModelDir } from '../server/models/registry.ts';
import { loadSpeakerEncoder } from '../server/speaker/speaker-encoder.ts';
import { latencyStats, timeCalls } from './timing.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { calls: { type: 'string', default: '200' }, warmup: { type: 'string', default: '20' } },
});
const dir = positionals[0] ?? bundledModelDir('speaker');
const calls = Number(values.calls);
const warmup = Number(values.warmup);

const time = (fn: () => unknown, n = calls) => timeCalls(fn, n, warmup);

const speech = readWav(new URL('../fixtures/audio/speech_rms.wav', import.meta.url).pathname).samples;
const encoder = await loadSpeakerEncoder(dir, new ModelRegistry({ intraOpThreads: 1 }));
const rows: string[] = [];

// fbank alone: 1 s of audio pushed in 32 ms VAD frames, cost per 10 ms feature frame.
const second = speech.subarray(16_000, 32_000);
const fbank = new Fbank();
const perSecond = await time(() => {
  fbank.reset();
  for (let i = 0; i + 512 <= second.length; i += 512) fbank.push(second.subarray(i, i + 512));
});
const f = latencyStats(perSecond);
rows.push(
  `| fbank, per 10 ms frame | ${(f.median / 100).toFixed(4)} | ${(f.p90 / 100).toFixed(4)} | ${((f.mean / 100 / 10) * 100).toFixed(2)}% |`,
);

for (const seconds of [0.5, 1.5, 3]) {
  const clip = speech.subarray(16_000, 16_000 + seconds * 16_000);
  const s = latencyStats(await time(() => encoder.embed(clip)));
  rows.push(
    `| embed ${seconds} s (fbank + CMN + ONNX) | ${s.median.toFixed(2)} | ${s.p90.toFixed(2)} | ${((s.mean / (seconds * 1000)) * 100).toFixed(2)}% |`,
  );
}

console.log(
  `speaker encoder ${encoder.label}, ${os.cpus()[0]?.model ?? 'cpu'}, one intra-op thread, ${calls} calls`,
);
console.log('| step | median ms | p90 ms | compute time / audio time |');
console.log('|---|---|---|---|');
for (const r of rows) console.log(r);
