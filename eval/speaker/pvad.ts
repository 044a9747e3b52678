/**
 * Personalized-VAD evaluation (issue 13): does only the enrolled caller take the floor?
 *
 *   npx tsx eval/speaker/pvad.ts [--model models/speaker] [--out docs/results/pvad.json] [--clips 4]
 *
 * Needs ../shared/data (LibriSpeech test-other, speech-commands noise); exits 2 without it.
 * Each of the 10 test-other speakers is the primary caller once: 3 s of their first clip
 * enroll them (an explicit voiceprint, as a client's enrollment would give). Trials, each
 * 1 s of lead-in then the stimulus, run through what the server runs (Silero v6 + the VAD
 * frame processor + the floor gate), with banter's audio on the air (the barge-in case):
 * - `primary`: another clip of the caller, clean and with noise at 20/10/5/0 dB SNR;
 * - `distractor`: a clip of each of the 9 other test-other speakers (never trained on, like the caller);
 * - `noise`: a speech-commands background recording alone, at speech level.
 * Reports, beside the plain VAD (every speech start barges in), in the same run:
 * - false-trigger rate: distractor and noise trials that would have barged in;
 * - detection latency: caller speech onset (the first 20 ms frame within 25 dB of the clip's
 *   loudest) to the decision, p50 and p90, on the clean primary trials;
 * - misses: primary trials never accepted;
 * - frame-level primary F1 per SNR: frames from each accepted stretch's decision to its end
 *   against the clean clip's voiced frames.
 * Speaker-verification EER on test-other and FSDD is in models/speaker/metrics.json
 * (models/training/speaker/evaluate.py, on the same held-out speakers).
 */
import { readdirSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { decodeAudioFile } from '../audio/decode.ts';
import { libriTestOtherDir, noiseDir } from '../caller/voices.ts';
import { ModelRegistry, bundledModelDir } from '../../server/models/registry.ts';
import { loadSpeakerEncoder } from '../../server/speaker/speaker-encoder.ts';
import { FloorGate, SpeakerGateOptions } from '../../server/speaker/floor-gate.ts';
import { loadSilero } from '../../server/turn-taking/silero.ts';
import { SpeechDetector } from '../../server/turn-taking/speech-detector.ts';
import { VadTuning, type VadEvent } from '../../server/turn-taking/vad-processor.ts';

const RATE = 16000;
const LEAD_MS = 1000;
const SNRS = [Infinity, 20, 10, 5, 0];

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: bundledModelDir('speaker') },
    out: { type: 'string' },
    clips: { type: 'string', default: '4' },
    seed: { type: 'string', default: '1' },
    margins: { type: 'string', default: '-0.05,0,0.05' },
    confirm: { type: 'string', default: '1' },
  },
});

if (!existsSync(libriTestOtherDir())) {
  console.error(`eval/speaker/pvad.ts: ${libriTestOtherDir()} not found (../shared/data is needed)`);
  process.exit(2);
}

let seed = Number(values.seed);
const rand = () => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed / 0x7fffffff;
};

/** Voiced 20 ms frames of a clean clip: energy within `rangeDb` of its loudest frame. */
function voicedFrames(x: Float32Array, rangeDb = 30): boolean[] {
  const n = Math.floor(x.length / 320);
  const e = Array.from({ length: n }, (_, i) => {
    let s = 0;
    for (let j = i * 320; j < (i + 1) * 320; j++) s += x[j] * x[j];
    return 10 * Math.log10(s / 320 + 1e-12);
  });
  const top = Math.max(...e);
  return e.map((v) => v > top - rangeDb);
}

const power = (x: Float32Array) => x.reduce((a, b) => a + b * b, 0) / Math.max(1, x.length) + 1e-12;

function mixAt(speech: Float32Array, noise: Float32Array, snrDb: number): Float32Array {
  if (!Number.isFinite(snrDb)) return speech;
  const start = Math.floor(rand() * Math.max(1, noise.length - speech.length));
  const piece = noise.subarray(start, start + speech.length);
  const g = Math.sqrt(power(speech) / power(piece) / 10 ** (snrDb / 10));
  return speech.map((v, i) => v + g * (piece[i] ?? 0));
}

/** The trial signal: LEAD_MS of (noise or near-silence), then the stimulus. */
function withLead(stimulus: Float32Array, bed: Float32Array | null): Float32Array {
  const lead = Math.round((LEAD_MS / 1000) * RATE);
  const out = new Float32Array(lead + stimulus.length);
  for (let i = 0; i < lead; i++) out[i] = (rand() * 2 - 1) * 3e-4;
  out.set(stimulus, lead);
  if (bed) for (let i = 0; i < lead; i++) out[i] += bed[(i + bed.length - lead) % bed.length];
  return out;
}

const vad = await loadSilero({ version: 'v6', registry: new ModelRegistry() });
const encoder = await loadSpeakerEncoder(values.model!, new ModelRegistry({ intraOpThreads: 1 }));
const tuning = VadTuning.parse({});
const margins = values.margins!.split(',').map(Number);
const gateOptions = (acceptMargin: number) =>
  SpeakerGateOptions.parse({ mode: 'verify', acceptMargin, confirmScores: Number(values.confirm) });

interface TrialResult {
  kind: 'primary' | 'distractor' | 'noise';
  snr: number | null;
  /** primary trials: the caller's speech onset in the trial (first 20 ms frame within 25 dB of the loudest). */
  onsetMs?: number;
  /** First speech start of the plain VAD (every voice barges in), audio clock ms. */
  plainTriggerMs: number | null;
  /** Per margin: the gate's first floor grant, and the 20 ms frames it granted. */
  gate: { triggerMs: number | null; granted: boolean[] }[];
  truth?: boolean[];
}

/** One gate (one margin) watching a trial: when it grants the floor, and for which frames. */
class GateProbe {
  first: number | null = null;
  open: { grantedAt: number | null } | null = null;
  readonly granted: boolean[];
  readonly gate: FloorGate;

  constructor(margin: number, print: Float32Array, frames20: number) {
    this.granted = new Array<boolean>(frames20).fill(false);
    this.gate = new FloorGate(encoder, gateOptions(margin), (d) => {
      if (d.type !== 'primary') return;
      this.first ??= d.atMs;
      if (this.open && this.open.grantedAt === null) this.open.grantedAt = d.atMs;
    });
    this.gate.enroll({ vector: print, speechMs: 3000 }, 0);
  }

  frame(frame: Float32Array, events: VadEvent[], atMs: number): void {
    if (events.some((e) => e.type === 'speech_start')) this.open = { grantedAt: null };
    this.gate.frame(frame, events, atMs, true);
    const end = events.find((e) => e.type === 'speech_end');
    if (end?.type === 'speech_end') this.closeAt(end.endMs);
  }

  closeAt(endMs: number): void {
    const from = this.open?.grantedAt;
    if (from !== undefined && from !== null) {
      for (let f = Math.floor(from / 20); f < Math.min(this.granted.length, Math.ceil(endMs / 20)); f++)
        this.granted[f] = true;
    }
    this.open = null;
  }
}

async function run(
  signal: Float32Array,
  print: Float32Array,
): Promise<{ plain: number | null; gate: TrialResult['gate'] }> {
  const detector = new SpeechDetector(vad.createStream(), tuning);
  const probes = margins.map((m) => new GateProbe(m, print, Math.floor(signal.length / 320)));
  let plain: number | null = null;
  const onFrame = (events: VadEvent[], frame: Float32Array) => {
    if (events.some((e) => e.type === 'speech_start')) plain ??= detector.clockMs;
    for (const p of probes) p.frame(frame, events, detector.clockMs);
  };
  for (let at = 0; at + 512 <= signal.length; at += 512) {
    await detector.push(signal.subarray(at, at + 512), onFrame);
    // The gates' decisions on this frame land before the next one, as in the session.
    await Promise.all(probes.map((p) => p.gate.idle()));
  }
  const closing = detector.flush();
  for (const p of probes) {
    p.closeAt(detector.clockMs);
    p.gate.flush(closing, detector.clockMs);
    await p.gate.idle();
  }
  return { plain, gate: probes.map((p) => ({ triggerMs: p.first, granted: p.granted })) };
}

// ---- data
const speakers = readdirSync(libriTestOtherDir())
  .filter((d) => /^\d+$/.test(d))
  .sort();
const clipsPer = Number(values.clips);
const clips = new Map<string, Float32Array[]>();
for (const s of speakers) {
  const files = readdirSync(join(libriTestOtherDir(), s))
    .filter((f) => f.endsWith('.flac'))
    .sort();
  clips.set(
    s,
    await Promise.all(
      files.slice(0, clipsPer + 1).map((f) => decodeAudioFile(join(libriTestOtherDir(), s, f))),
    ),
  );
}
const noises = await Promise.all(
  readdirSync(noiseDir())
    .filter((f) => f.endsWith('.wav'))
    .sort()
    .map((f) => decodeAudioFile(join(noiseDir(), f))),
);
/** A clip's first voiced sample onward (LibriSpeech clips open with a little silence). */
const fromVoice = (x: Float32Array) => x.subarray(voicedFrames(x).indexOf(true) * 320);
const clipMs = 4000;
const cut = (x: Float32Array) => fromVoice(x).subarray(0, (clipMs / 1000) * RATE);

// ---- trials
const results: TrialResult[] = [];
const t0 = performance.now();
for (const [si, s] of speakers.entries()) {
  const own = clips.get(s)!;
  const print = (await encoder.embed(fromVoice(own[0]).subarray(0, 3 * RATE))).vector;
  for (const clip of own.slice(1)) {
    const clean = cut(clip);
    const truth = new Array<boolean>(Math.floor((LEAD_MS / 1000) * RATE) / 320)
      .fill(false)
      .concat(voicedFrames(clean));
    for (const snr of SNRS) {
      const noise = noises[Math.floor(rand() * noises.length)];
      const stim = mixAt(clean, noise, snr);
      const r = await run(withLead(stim, Number.isFinite(snr) ? scaled(noise, clean, snr) : null), print);
      results.push({
        kind: 'primary',
        snr: Number.isFinite(snr) ? snr : null,
        onsetMs: LEAD_MS + 20 * voicedFrames(clean, 25).indexOf(true),
        plainTriggerMs: r.plain,
        gate: r.gate,
        truth,
      });
    }
  }
  // Distractors: a clip of every other speaker, and noise alone.
  for (let k = 1; k < speakers.length; k++) {
    const d = speakers[(si + k) % speakers.length];
    const r = await run(withLead(cut(clips.get(d)![1 + ((si + k) % clipsPer)]), null), print);
    results.push({ kind: 'distractor', snr: null, plainTriggerMs: r.plain, gate: r.gate });
  }
  for (const noise of noises) {
    const start = Math.floor(rand() * (noise.length - clipMs * 16));
    const piece = noise.subarray(start, start + clipMs * 16);
    const level = Math.sqrt(power(fromVoice(own[0])) / power(piece));
    const r = await run(
      withLead(
        piece.map((v) => v * level),
        null,
      ),
      print,
    );
    results.push({ kind: 'noise', snr: null, plainTriggerMs: r.plain, gate: r.gate });
  }
  console.error(
    `  speaker ${s}: ${results.length} trials (${((performance.now() - t0) / 1000).toFixed(0)} s)`,
  );
}

/** The noise bed under the lead-in, at the trial's SNR against the clean clip. */
function scaled(noise: Float32Array, clean: Float32Array, snr: number): Float32Array {
  const g = Math.sqrt(power(clean) / power(noise) / 10 ** (snr / 10));
  return noise.map((v) => v * g);
}

// ---- metrics
const pct = (a: number, b: number) => (b === 0 ? null : Math.round((1000 * a) / b) / 10);
const quantile = (xs: number[], q: number) => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.floor(q * s.length))]);
};
/** Trigger time of a trial under one system: the plain VAD (-1) or the gate at margin index m. */
const triggerOf = (r: TrialResult, m: number) => (m < 0 ? r.plainTriggerMs : r.gate[m].triggerMs);
const summary = (m: number) => {
  const intruders = results.filter((r) => r.kind !== 'primary');
  const prim = results.filter((r) => r.kind === 'primary');
  const of = (kind: TrialResult['kind']) => results.filter((r) => r.kind === kind);
  const fired = (rs: TrialResult[]) => rs.filter((r) => triggerOf(r, m) !== null).length;
  // Latency on clean trials (noise under the lead-in can open a stretch before the caller speaks).
  const lat = prim
    .filter((r) => r.snr === null && triggerOf(r, m) !== null)
    .map((r) => triggerOf(r, m)! - r.onsetMs!);
  return {
    false_trigger_pct: pct(fired(intruders), intruders.length),
    false_trigger_distractor_pct: pct(fired(of('distractor')), of('distractor').length),
    false_trigger_noise_pct: pct(fired(of('noise')), of('noise').length),
    miss_pct: pct(prim.length - fired(prim), prim.length),
    latency_p50_ms: quantile(lat, 0.5),
    latency_p90_ms: quantile(lat, 0.9),
  };
};
const f1BySnr = (m: number) => {
  const out: Record<string, number> = {};
  for (const snr of SNRS) {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    for (const r of results.filter((x) => x.kind === 'primary' && (x.snr ?? Infinity) === snr)) {
      const predicted = r.gate[m].granted;
      for (let i = 0; i < r.truth!.length; i++) {
        const p = predicted[i] ?? false;
        if (p && r.truth![i]) tp++;
        else if (p) fp++;
        else if (r.truth![i]) fn++;
      }
    }
    out[Number.isFinite(snr) ? `${snr}dB` : 'clean'] =
      tp === 0 ? 0 : Math.round((1000 * 2 * tp) / (2 * tp + fp + fn)) / 1000;
  }
  return out;
};
const report = {
  model: encoder.label,
  trials: {
    primary: results.filter((r) => r.kind === 'primary').length,
    distractor: results.filter((r) => r.kind === 'distractor').length,
    noise: results.filter((r) => r.kind === 'noise').length,
  },
  plain_vad: summary(-1),
  gate: margins.map((margin, m) => ({ accept_margin: margin, ...summary(m), primary_frame_f1: f1BySnr(m) })),
  gate_options: { ...gateOptions(0), acceptMargin: 'per row' },
  command: `npx tsx eval/speaker/pvad.ts --clips ${clipsPer} --seed ${values.seed} --margins=${values.margins} --confirm ${values.confirm}`,
};
console.log(JSON.stringify(report, null, 1));
if (values.out) {
  mkdirSync(dirname(values.out), { recursive: true });
  writeFileSync(values.out, JSON.stringify(report, null, 1) + '\n');
}
