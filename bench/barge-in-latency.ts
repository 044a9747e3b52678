/**
 * Wall-clock latency of the VAD events and of barge-in over a real
 * WebSocket: the barge-in fixture streamed in real time while the greeting
 * plays. For each run: when audio.clear arrived minus when the caller's
 * speech onset (ground truth) was sent, and the audio-clock error of the
 * speech_start / speech_end timestamps.
 *
 *   npx tsx bench/barge-in-latency.ts [runs, default 12] [concurrent, default 4]
 */
import { readFileSync } from 'node:fs';
import pino from 'pino';
import { startServer } from '../server/index.ts';
import { readWav } from '../server/audio/wav.ts';
import { floatToPcm16 } from '../server/audio/pcm.ts';
import { StreamClient, chunkPcm16 } from '../server/testing/stream-client.ts';

const runs = Number(process.argv[2] ?? 12);
const concurrent = Number(process.argv[3] ?? 4);
const audio = readWav(new URL('../fixtures/audio/barge_in.wav', import.meta.url).pathname).samples;
const truth = JSON.parse(
  readFileSync(new URL('../fixtures/audio/barge_in.json', import.meta.url), 'utf8'),
) as {
  speech: { startMs: number; endMs: number }[];
};
const onset = truth.speech[0].startMs;
const frames = chunkPcm16(floatToPcm16(audio), 16000, 20);
const server = await startServer({ port: 0, logger: pino({ level: 'silent' }) });

async function once() {
  const client = await StreamClient.start(server.url);
  const t0 = performance.now();
  await client.stream(frames, 20, true);
  await client.flush();
  const clear = await client.waitFor('audio.clear');
  const start = client.messages('vad.speech_start')[0];
  const end = client.messages('vad.speech_end')[0];
  const lastAudio = client.audioFrames.at(-1)!.wallMs;
  await client.close();
  return {
    clearWall: clear.wallMs - t0 - onset,
    lastAudioWall: lastAudio - t0 - onset,
    clearClock: clear.message.t_ms - onset,
    startErr: start.t_ms - onset,
    endErr: end.t_ms - truth.speech[0].endMs,
  };
}

const results: Awaited<ReturnType<typeof once>>[] = [];
for (let i = 0; i < runs; i += concurrent) {
  results.push(...(await Promise.all(Array.from({ length: Math.min(concurrent, runs - i) }, once))));
}
await server.close();

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return `${q(0.5).toFixed(0)} | ${q(0.9).toFixed(0)} | ${s[s.length - 1].toFixed(0)}`;
};
console.log(`runs: ${runs}, ${concurrent} at a time, real time; onset (ground truth) at ${onset} ms`);
console.log('| measure | median ms | p90 ms | max ms |');
console.log('|---|---|---|---|');
console.log(`| audio.clear arrival (wall) - onset sent | ${stats(results.map((r) => r.clearWall))} |`);
console.log(
  `| last greeting frame arrival (wall) - onset sent | ${stats(results.map((r) => r.lastAudioWall))} |`,
);
console.log(`| audio.clear t_ms - onset (audio clock) | ${stats(results.map((r) => r.clearClock))} |`);
console.log(`| vad.speech_start t_ms - truth | ${stats(results.map((r) => r.startErr))} |`);
console.log(`| vad.speech_end t_ms - truth | ${stats(results.map((r) => r.endErr))} |`);
