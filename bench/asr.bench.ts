/**
 * Streaming recognizer cost: real-time factor per stream (fbank included) on one core, and how
 * many streams one core sustains, measured side by side in one run.
 *
 *   npx tsx bench/asr.bench.ts [modelDir] [--seconds 60] [--streams 1,8,32]
 *
 * Audio: fixtures/audio/speech_rms.wav looped, pushed in 20 ms pieces (what a 20 ms WebSocket
 * frame hands the server). Every stream gets all of it, as if the caller talked without pause:
 * the server only feeds speech the VAD accepted, so real sessions cost less. Cost is CPU time
 * of this process (process.cpuUsage: the ONNX runtime's threads included), with one intra-op
 * thread; RTF = CPU seconds / audio seconds. "fbank" is the frontend alone on the same audio.
 * Streams are interleaved chunk by chunk, as concurrent sessions are; "sustained" is how many
 * such streams fit in 80% of one core (1 / RTF x 0.8). Prints a markdown table.
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { loadCtcRecognizer } from '../server/asr/ctc-recognizer.ts';
import { Fbank } from '../server/audio/features/fbank.ts';
import { samplesForMs } from '../server/audio/rates.ts';
import { readWav } from '../server/audio/wav.ts';
import { ModelRegistry, bundledModelDir } from '../server/models/registry.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { seconds: { type: 'string', default: '60' }, streams: { type: 'string', default: '1,8,32' } },
});
const dir = positionals[0] ?? bundledModelDir('asr');
const seconds = Number(values.seconds);
const counts = values.streams.split(',').map(Number);

const clip = readWav(new URL('../fixtures/audio/speech_rms.wav', import.meta.url).pathname).samples;
const audio = new Float32Array(samplesForMs(seconds * 1000));
for (let at = 0; at < audio.length; at += clip.length) audio.set(clip.subarray(0, audio.length - at), at);
const step = samplesForMs(20);

const cpuSeconds = (fn: () => Promise<void>) => async () => {
  const t0 = process.cpuUsage();
  const w0 = performance.now();
  await fn();
  const d = process.cpuUsage(t0);
  return { cpu: (d.user + d.system) / 1e6, wall: (performance.now() - w0) / 1000 };
};

const registry = new ModelRegistry({ intraOpThreads: 1 });
const rec = await loadCtcRecognizer(dir, registry);

// Warm-up: the first runs allocate the graph's buffers.
{
  const s = rec.createStream(() => {});
  for (let at = 0; at < samplesForMs(3000); at += step) await s.push(audio.subarray(at, at + step), 0);
  await s.endpoint();
  s.close();
}

const fbank = await cpuSeconds(async () => {
  const f = new Fbank({ numMelBins: 80, inputScale: 32768 });
  for (let at = 0; at < audio.length; at += step) f.push(audio.subarray(at, at + step));
})();

const rows: string[] = [];
for (const n of counts) {
  const streams = Array.from({ length: n }, () => rec.createStream(() => {}));
  // The same total audio at every n: n streams of seconds / n each.
  const perStream = Math.floor(audio.length / n / step) * step;
  const r = await cpuSeconds(async () => {
    for (let at = 0; at < perStream; at += step)
      for (const s of streams) await s.push(audio.subarray(at, at + step), (at * 1000) / 16000);
    for (const s of streams) await s.endpoint();
  })();
  for (const s of streams) s.close();
  const audioSeconds = (perStream * n) / 16000;
  const rtf = r.cpu / audioSeconds;
  rows.push(
    `| ${n} | ${audioSeconds.toFixed(0)} | ${rtf.toFixed(4)} | ${(r.wall / audioSeconds).toFixed(4)} | ${Math.floor(0.8 / rtf)} |`,
  );
}
await registry.close();

console.log(`\n${rec.label}, ${os.cpus()[0].model}, node ${process.version}, one intra-op thread\n`);
console.log(`fbank alone: RTF ${(fbank.cpu / seconds).toFixed(4)} (CPU s per audio s)\n`);
console.log('| streams interleaved | audio s | RTF (CPU) | RTF (wall) | sustained per core (80%) |');
console.log('| --- | --- | --- | --- | --- |');
for (const r of rows) console.log(r);
