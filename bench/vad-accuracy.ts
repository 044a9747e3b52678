/**
 * VAD accuracy: frame-level F1 against ground truth for each bundled Silero
 * version, side by side in one run. Conditions: the clean speech fixtures;
 * the same files with seeded pink noise at 20, 10 and 0 dB SNR; with the real
 * noise recordings of ../shared/data/noise (skipped when absent); and
 * noise-only / silence files (false speech).
 *
 *   npx tsx bench/vad-accuracy.ts
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { readWav } from '../server/audio/wav.ts';
import { resampleAll } from '../server/audio/resampler.ts';
import { loadSilero, type SileroModel, type SileroVersion } from '../server/turn-taking/silero.ts';
import { frameF1, frameProbabilities, segmentsFromProbabilities } from '../server/turn-taking/vad-offline.ts';
import { mixAtSnr, pinkNoise, powerInSegments } from '../fixtures/signal.ts';

const dir = new URL('../fixtures/audio/', import.meta.url).pathname;
const sharedNoise = new URL('../../shared/data/noise/speech-commands/', import.meta.url).pathname;

interface Item {
  name: string;
  condition: string;
  samples: Float32Array;
  durationMs: number;
  speech: { startMs: number; endMs: number }[];
}

const load = (file: string) => {
  const truth = JSON.parse(readFileSync(`${dir}${file}.json`, 'utf8'));
  return {
    samples: readWav(`${dir}${file}.wav`).samples,
    durationMs: truth.durationMs,
    speech: truth.speech,
  };
};

const cleanFiles = ['speech_rms', 'speech_scotland', 'overlap', 'barge_in'];
const items: Item[] = [];
for (const f of cleanFiles) items.push({ name: f, condition: 'clean', ...load(f) });
items.push({ name: 'speech_noisy', condition: 'fixture noise 10 dB', ...load('speech_noisy') });
for (const f of ['noise_only', 'silence']) items.push({ name: f, condition: 'no speech', ...load(f) });

cleanFiles.forEach((f, i) => {
  const base = load(f);
  const speechPower = powerInSegments(base.samples, 16000, base.speech);
  for (const snr of [20, 10, 0]) {
    const noise = pinkNoise(base.samples.length, 100 + i);
    const { mix } = mixAtSnr(base.samples, noise, snr, { signalPower: speechPower });
    items.push({ name: f, condition: `pink ${snr} dB`, ...base, samples: mix });
  }
});

if (existsSync(sharedNoise)) {
  const noises = readdirSync(sharedNoise).filter(
    (n) => n.endsWith('.wav') && !n.includes('pink') && !n.includes('white'),
  );
  for (const [i, n] of noises.entries()) {
    const wav = readWav(`${sharedNoise}${n}`);
    const noise = await resampleAll(wav.samples, wav.sampleRate, 16000);
    const base = load(cleanFiles[i % cleanFiles.length]);
    const speechPower = powerInSegments(base.samples, 16000, base.speech);
    const { mix } = mixAtSnr(base.samples, noise.subarray(16000, 16000 + base.samples.length), 5, {
      signalPower: speechPower,
    });
    items.push({
      name: `${cleanFiles[i % cleanFiles.length]}+${n.replace('.wav', '')}`,
      condition: 'real noise 5 dB',
      ...base,
      samples: mix,
    });
  }
} else {
  console.log('(skipping real-noise conditions: ../shared/data/noise is absent)');
}

async function score(model: SileroModel, item: Item) {
  const detected = segmentsFromProbabilities(await frameProbabilities(model, item.samples));
  const { f1 } = frameF1(item.speech, detected, item.durationMs);
  const inTruth = (t: number) => item.speech.some((s) => t >= s.startMs && t < s.endMs);
  let falseMs = 0;
  for (const d of detected) for (let t = d.startMs; t < d.endMs; t += 10) if (!inTruth(t)) falseMs += 10;
  return { f1, falseMs };
}

const versions: SileroVersion[] = ['v4', 'v5', 'v6'];
const results = new Map<string, { f1: number[]; falseMs: number }>();
for (const v of versions) {
  const model = await loadSilero({ version: v });
  for (const item of items) {
    const r = await score(model, item);
    const key = `${item.condition}|${v}`;
    const acc = results.get(key) ?? { f1: [], falseMs: 0 };
    if (item.speech.length) acc.f1.push(r.f1);
    acc.falseMs += r.falseMs;
    results.set(key, acc);
  }
  await model.release();
}

const conditions = [...new Set(items.map((i) => i.condition))];
console.log(`| condition | files | ${versions.map((v) => `${v} F1 (false speech ms)`).join(' | ')} |`);
console.log(`|---|---|${versions.map(() => '---').join('|')}|`);
for (const c of conditions) {
  const n = items.filter((i) => i.condition === c).length;
  const cells = versions.map((v) => {
    const r = results.get(`${c}|${v}`)!;
    const f1 = r.f1.length ? (r.f1.reduce((a, b) => a + b, 0) / r.f1.length).toFixed(3) : 'n/a';
    return `${f1} (${r.falseMs})`;
  });
  console.log(`| ${c} | ${n} | ${cells.join(' | ')} |`);
}
