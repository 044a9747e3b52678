/**
 * Cost of one 32 ms VAD frame on one core, per Silero version, measured side
 * by side in one run on real speech (fixtures/audio/speech_rms.wav).
 *
 *   npx tsx bench/vad-cost.ts
 */
import { readWav } from '../server/audio/wav.ts';
import { SILERO_FRAME_SAMPLES, loadSilero } from '../server/turn-taking/silero.ts';
import { VadFrameProcessor } from '../server/turn-taking/vad-processor.ts';

const audio = readWav(new URL('../fixtures/audio/speech_rms.wav', import.meta.url).pathname).samples;
const frames: Float32Array[] = [];
for (let i = 0; i + SILERO_FRAME_SAMPLES <= audio.length; i += SILERO_FRAME_SAMPLES) {
  frames.push(audio.slice(i, i + SILERO_FRAME_SAMPLES));
}
const rounds = 10;
console.log(
  `frames per round: ${frames.length} (${((frames.length * 32) / 1000).toFixed(1)} s of audio), rounds: ${rounds}`,
);
console.log('| version | mean ms per frame | p50 | p99 | real-time factor |');
console.log('|---|---|---|---|---|');
for (const version of ['v4', 'v5', 'v6'] as const) {
  const model = await loadSilero({ version });
  const stream = model.createStream();
  const vad = new VadFrameProcessor();
  for (const f of frames.slice(0, 50)) vad.process(await stream.process(f)); // warm-up
  const times: number[] = [];
  for (let r = 0; r < rounds; r++) {
    stream.reset();
    vad.reset();
    for (const f of frames) {
      const t0 = performance.now();
      vad.process(await stream.process(f));
      times.push(performance.now() - t0);
    }
  }
  times.sort((a, b) => a - b);
  const mean = times.reduce((a, b) => a + b, 0) / times.length;
  const q = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))];
  console.log(
    `| ${version} | ${mean.toFixed(3)} | ${q(0.5).toFixed(3)} | ${q(0.99).toFixed(3)} | ${(mean / 32).toFixed(4)} |`,
  );
  await model.release();
}
