/**
 * The echo stage on held-out mixtures, beside the plain VAD, in one command:
 *
 *   npx tsx eval/echo/evaluate.ts [--trials 6] [--out docs/results/echo-linear.json]
 *
 * For each echo condition of fixtures/echo.ts and each trial: banter's voice (flite slt reading
 * held-out assistant sentences, or the greeting) through the echo path, at a -55 dBFS noise
 * floor, as the caller's microphone hears it:
 * - echo only: does the VAD the session uses (Silero v6 and its frame processor, default
 *   thresholds) fire while banter speaks? Each firing would be a false barge-in. On the raw
 *   microphone (today's server) and after the echo canceller. A call's canceller keeps what it
 *   learned from reply to reply, so each mix starts with banter's greeting: "cold" counts
 *   firings from the call's first sound (the canceller has learned nothing yet), "warm" only
 *   in the reply after the greeting (the steady state of a call).
 * - double talk: a caller (held-out voices) starts speaking 2-5 s into banter's speech; is the
 *   caller detected during their words, and how long after their onset (the VAD's decision)?
 * - ERLE: echo power over residual power on the echo-only mix after 2 s.
 * - WER of pocketsphinx on the caller's double-talk words: the raw mix, after cancellation,
 *   and the caller alone (the ceiling).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { applyEchoPath, ECHO_CONDITIONS } from '../../fixtures/echo.ts';
import { pinkNoise, power, seededRandom } from '../../fixtures/signal.ts';
import { utter, type VoiceId } from '../../fixtures/synth.ts';
import { writeWav } from '../../server/audio/wav.ts';
import { createEchoCanceller, processWhole } from '../../server/echo/echo-canceller.ts';
import { loadSilero, SILERO_FRAME_SAMPLES, type SileroModel } from '../../server/turn-taking/silero.ts';
import { VadFrameProcessor } from '../../server/turn-taking/vad-processor.ts';
import { emitResult, pocketsphinxErrorRates } from '../metrics/asr.ts';
import { percentile } from '../metrics/stats.ts';

const SR = 16000;

/** Held out: none of these is a codec or TTS training sentence (those come from the corpora). */
const BANTER_LINES = [
  'I found three restaurants near you that are open late tonight.',
  'Your appointment is on Tuesday at half past two with doctor Lee.',
  'The next train to the airport leaves at six fifteen from platform four.',
  'I have booked a table for four at the Italian place on Main Street.',
  'It will be sunny tomorrow with a high of twenty two degrees.',
  'Your order has shipped and should arrive on Friday afternoon.',
  'The museum is open from ten until five, and tickets are twelve dollars.',
  'I can move your flight to Thursday morning, is that all right?',
];
const CALLER_LINES = [
  'Wait, that is not what I asked for.',
  'Sorry, can you say that again more slowly?',
  'No, I meant next week, not this week.',
  'Hold on, I need to check my calendar.',
];
const CALLER_VOICES: VoiceId[] = [
  'flite:rms',
  'espeak-ng:en-gb-scotland+m3',
  'festival:ked_diphone',
  'espeak-ng:en-gb-scotland+f2',
];

interface Detection {
  /** speech_start decisions (ms, on the mix's clock). */
  starts: number[];
}

async function vadStarts(model: SileroModel, x: Float32Array): Promise<Detection> {
  const stream = model.createStream();
  const vad = new VadFrameProcessor();
  const starts: number[] = [];
  const frame = new Float32Array(SILERO_FRAME_SAMPLES);
  for (let i = 0; i + SILERO_FRAME_SAMPLES <= x.length; i += SILERO_FRAME_SAMPLES) {
    frame.set(x.subarray(i, i + SILERO_FRAME_SAMPLES));
    for (const e of vad.process(await stream.process(frame)))
      if (e.type === 'speech_start') starts.push(e.confirmedMs);
  }
  return { starts };
}

/** Residual-gate options for a tuning run (BANTER_ECHO_GATE='{"marginDb": 10}'). */
const GATE = process.env.BANTER_ECHO_GATE ? (JSON.parse(process.env.BANTER_ECHO_GATE) as object) : {};

function cancel(mic: Float32Array, ref: Float32Array, gate = true): Float32Array {
  return processWhole(createEchoCanceller(gate ? { gate: GATE } : { gate: false }).createStream(), mic, ref);
}

function concat(parts: Float32Array[], gapSamples: number): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length + gapSamples, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length + gapSamples;
  }
  return out;
}

const VARIANTS = ['raw', 'linear', 'gated'] as const;
type Variant = (typeof VARIANTS)[number];

/** The microphone as each variant hands it to the VAD. */
function variants(mic: Float32Array, ref: Float32Array): Record<Variant, Float32Array> {
  return { raw: mic, linear: cancel(mic, ref, false), gated: cancel(mic, ref, true) };
}

interface Tally {
  cold: number;
  warm: number;
  detected: number;
  latency: number[];
  erle: number[];
}
const tally = (): Record<Variant, Tally> =>
  Object.fromEntries(
    VARIANTS.map((v): [Variant, Tally] => [v, { cold: 0, warm: 0, detected: 0, latency: [], erle: [] }]),
  ) as Record<Variant, Tally>;

function figures(t: Record<Variant, Tally>, n: number) {
  return Object.fromEntries(
    VARIANTS.map((v) => [
      v,
      {
        false_barge_in_cold: t[v].cold / n,
        false_barge_in_warm: t[v].warm / n,
        double_talk_detected: t[v].detected / n,
        detection_latency_p90_ms: t[v].latency.length ? Math.round(percentile(t[v].latency, 90)) : null,
        ...(v === 'raw' ? {} : { erle_db_median: Math.round(percentile(t[v].erle, 50) * 10) / 10 }),
      },
    ]),
  );
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { trials: { type: 'string', default: '6' }, out: { type: 'string' } },
    strict: true,
  });
  const trials = Number(values.trials);
  const model = await loadSilero({ version: 'v6' });
  const wavDir = mkdtempSync(join(tmpdir(), 'banter-echo-eval-'));
  const lines = await Promise.all(BANTER_LINES.map((t) => utter(t, 'flite:slt', { levelDbfs: -20 })));
  const greeting = (
    await utter('Hi, this is banter. How can I help you today?', 'flite:slt', { levelDbfs: -20 })
  ).samples;
  const rows: Record<string, unknown>[] = [];
  const asrItems: Record<Variant | 'alone', Array<{ file: string; text: string }>> = {
    raw: [],
    linear: [],
    gated: [],
    alone: [],
  };
  const all = tally();
  let total = 0;
  try {
    for (const [name, cond] of Object.entries(ECHO_CONDITIONS)) {
      const c = tally();
      for (let t = 0; t < trials; t++) {
        const rand = seededRandom(1000 * t + name.length);
        const seed = 7 + t;
        // The greeting, a second of the caller's silence, then a reply of three held-out lines.
        const pick = [0, 1, 2].map((k) => lines[(t * 3 + k) % lines.length].samples);
        const warmAt = greeting.length + SR;
        const ref = concat(
          [greeting, new Float32Array(SR - Math.round(0.25 * SR)), ...pick],
          Math.round(0.25 * SR),
        );
        const warmMs = (warmAt * 1000) / SR;
        const tail = new Float32Array(ref.length + SR);
        tail.set(ref);
        const echo = await applyEchoPath(tail, { ...cond, seed });
        const floor = pinkNoise(tail.length, seed + 99, 10 ** (-55 / 20));
        const echoOnly = Float32Array.from(echo, (v, i) => v + floor[i]);
        // 1. Echo only: any speech start is a false barge-in (cold: from the call's first
        // sound; warm: in the reply after the greeting).
        const eo = variants(echoOnly, tail);
        // 2. Double talk: a caller starts 1.5-4.5 s into the reply.
        const voice = CALLER_VOICES[t % CALLER_VOICES.length];
        const text = CALLER_LINES[t % CALLER_LINES.length];
        const u = await utter(text, voice, { levelDbfs: -26 });
        const onsetMs = warmMs + 1500 + Math.round(rand() * 3000);
        const at = Math.round((onsetMs * SR) / 1000) - Math.round((u.extent.startMs * SR) / 1000);
        const mix = Float32Array.from(echoOnly);
        for (let i = 0; i < u.samples.length && at + i < mix.length; i++) mix[at + i] += u.samples[i];
        const speechEnd = onsetMs + u.extent.endMs - u.extent.startMs;
        const dt = variants(mix, tail);
        const a = Math.max(0, at);
        const b = Math.min(mix.length, at + u.samples.length);
        const id = `${name}-${t}`;
        for (const v of VARIANTS) {
          const starts = (await vadStarts(model, eo[v])).starts;
          if (starts.length) c[v].cold++;
          if (starts.some((s) => s >= warmMs)) c[v].warm++;
          if (v !== 'raw')
            c[v].erle.push(
              10 * Math.log10(power(echo, warmAt, ref.length) / (power(eo[v], warmAt, ref.length) + 1e-12)),
            );
          // A detection: a speech start decided during the caller's words. A VAD already in
          // "speech" on the echo when the caller starts detects nothing new: the session would
          // have paused banter earlier, for the echo, not for the caller.
          const hit = (await vadStarts(model, dt[v])).starts.find(
            (s) => s >= onsetMs && s <= speechEnd + 300,
          );
          if (hit !== undefined) {
            c[v].detected++;
            c[v].latency.push(hit - onsetMs);
          }
          writeWav(join(wavDir, `${id}-${v}.wav`), dt[v].subarray(a, b), SR);
          asrItems[v].push({ file: `${id}-${v}.wav`, text });
        }
        writeWav(join(wavDir, `${id}-alone.wav`), u.samples, SR);
        asrItems.alone.push({ file: `${id}-alone.wav`, text });
      }
      for (const v of VARIANTS) {
        all[v].cold += c[v].cold;
        all[v].warm += c[v].warm;
        all[v].detected += c[v].detected;
        all[v].latency.push(...c[v].latency);
        all[v].erle.push(...c[v].erle);
      }
      total += trials;
      rows.push({ condition: name, path: cond, trials, ...figures(c, trials) });
      console.error(`${name}: done`);
    }
    const wer = Object.fromEntries(
      await Promise.all(
        (['raw', 'linear', 'gated', 'alone'] as const).map(
          async (k) => [k, await pocketsphinxErrorRates(wavDir, asrItems[k])] as const,
        ),
      ),
    );
    emitResult(
      {
        command: `npx tsx eval/echo/evaluate.ts --trials ${trials}`,
        variants: {
          raw: 'the microphone as today: no echo stage',
          linear: 'banter-aec-linear: GCC-PHAT delay + two-filter PBFDAF (16 x 256 samples)',
          gated: 'banter-aec-linear+gate: the same, then the residual-echo gate',
        },
        vad: 'silero-v6, default frame processor (the session barges in on speech_start)',
        mixes: total,
        summary: figures(all, total),
        caller_wer_in_double_talk: wer,
        conditions: rows,
      },
      values.out,
    );
  } finally {
    await model.release();
    rmSync(wavDir, { recursive: true, force: true });
  }
}

await main();
