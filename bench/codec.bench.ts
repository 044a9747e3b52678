/**
 * Codec decoder cost on one core: the real-time factor of decoding a sentence whole and in
 * streaming chunks (1, 5 and 25 frames: 20 ms, 100 ms, 500 ms at 50 Hz), and the time from a
 * frame's tokens to its audio (one frame decoded from a warm state, what the TTS pays before
 * the first samples can be sent). Tokens come from the codec's own encoder on the greeting.
 *
 *   npx tsx bench/codec.bench.ts [modelDir] [--calls 50]
 *
 * Targets (issue 11): real-time factor at most 0.03, first frame under 15 ms.
 * Prints a markdown table (docs/PERFORMANCE.md, "Codec").
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { readWav } from '../server/audio/wav.ts';
import { ModelRegistry, bundledModelDir } from '../server/models/registry.ts';
import { type CodeFrames, sliceFrames } from '../server/tts/codec/codec.ts';
import { loadCodec } from '../server/tts/codec/onnx-codec.ts';
import { latencyStats, timeCalls } from './timing.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { calls: { type: 'string', default: '50' }, warmup: { type: 'string', default: '5' } },
});
const dir = positionals[0] ?? bundledModelDir('codec');
const calls = Number(values.calls);
const warmup = Number(values.warmup);

const greeting = readWav(new URL('../fixtures/audio/greeting.wav', import.meta.url).pathname).samples;
const { decoder, encoder } = await loadCodec(dir, new ModelRegistry({ intraOpThreads: 1 }));
if (!encoder) throw new Error(`${dir} has no encoder graph`);
const codes = await encoder.encode(greeting);
const audioMs = (codes.frames * decoder.frameSamples * 1000) / decoder.sampleRate;

async function inChunks(c: CodeFrames, n: number): Promise<void> {
  let state = decoder.initialState();
  for (let t = 0; t < c.frames; t += n)
    state = (await decoder.decodeChunk(sliceFrames(c, t, t + n), state)).state;
}

const rows: string[] = [];
const rtfRow = async (name: string, fn: () => Promise<unknown>) => {
  const s = latencyStats(await timeCalls(fn, calls, warmup));
  rows.push(
    `| ${name} | ${s.median.toFixed(2)} | ${s.p90.toFixed(2)} | ${(s.median / audioMs).toFixed(4)} |`,
  );
};
await rtfRow(`whole sentence (${(audioMs / 1000).toFixed(2)} s)`, () => decoder.decode(codes));
for (const n of [25, 5, 1]) {
  const ms = (n * decoder.frameSamples * 1000) / decoder.sampleRate;
  await rtfRow(`streaming, ${n}-frame chunks (${ms} ms)`, () => inChunks(codes, n));
}

// First audio: one frame from a state some frames in (caches full, as mid-reply), and from the start.
const warm = (await decoder.decodeChunk(sliceFrames(codes, 0, 20), decoder.initialState())).state;
const frame = sliceFrames(codes, 20, 21);
const first = latencyStats(await timeCalls(() => decoder.decodeChunk(frame, warm), calls * 10, warmup));
const cold = latencyStats(
  await timeCalls(
    () => decoder.decodeChunk(sliceFrames(codes, 0, 1), decoder.initialState()),
    calls * 10,
    warmup,
  ),
);

console.log(
  `codec ${decoder.label} (K=${decoder.codebooks}, ${decoder.sampleRate / decoder.frameSamples} Hz), ${os.cpus()[0]?.model ?? 'cpu'}, one intra-op thread, ${calls} calls`,
);
console.log('| decode | median ms | p90 ms | real-time factor (median) |');
console.log('|---|---|---|---|');
for (const r of rows) console.log(r);
console.log();
console.log('| tokens of one frame to its audio | median ms | p90 ms | p99 ms |');
console.log('|---|---|---|---|');
console.log(
  `| mid-utterance (state carried) | ${first.median.toFixed(3)} | ${first.p90.toFixed(3)} | ${first.p99.toFixed(3)} |`,
);
console.log(
  `| first frame of an utterance | ${cold.median.toFixed(3)} | ${cold.p90.toFixed(3)} | ${cold.p99.toFixed(3)} |`,
);
