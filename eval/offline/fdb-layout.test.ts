/**
 * Full-Duplex-Bench's own layout end to end: a tree with the benchmark's folder and file names
 * and metadata shapes (v1.0 pause handling, turn taking and user interruption, a v1.5
 * backchannel; one input at 48 kHz), built here from synthesized speech.
 * - `offline` over the tree writes each sample's outputs at its path below the tree (samples
 *   all named `1` do not overwrite each other), output.wav at the input's rate and length, and
 *   the labels beside them.
 * - `fdb-import` of the same tree with another system's outputs (placed at known times) gives
 *   every task's metric: TOR in the pause, turn-taking latency, the interruption's IRD/SIR and
 *   the backchannel's TOR, at the values the construction implies.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineAvailable, utter, type Utterance } from '../../fixtures/synth.ts';
import { resampleAll } from '../../server/audio/resampler.ts';
import { readWav, writeWav } from '../../server/audio/wav.ts';
import { loadSilero, type SileroModel } from '../../server/turn-taking/silero.ts';
import { aggregate } from '../metrics/aggregate.ts';
import { analyzeConversation } from '../metrics/analyze.ts';
import { ensurePocketsphinx } from '../metrics/asr.ts';
import { scoreTimeline } from '../metrics/metrics.ts';
import { startLocalServer } from '../runner/run.ts';
import { findFdbSamples, importFdbSample } from './fdb.ts';
import { readFdbMeta } from './fdb-tasks.ts';
import { outputPaths, runOfflineFile } from './offline.ts';

const SR = 16000;
const engines = engineAvailable('flite');
const asr = ensurePocketsphinx({ install: false }).available;
if (!engines) console.warn('fdb-layout.test: flite missing (apt-get install flite): skipped');

interface Sample {
  path: string;
  rate: number;
  caller: Float32Array;
  system: Float32Array;
  meta: Record<string, unknown>;
}

const at = (ms: number) => Math.round((ms * SR) / 1000);
function place(dst: Float32Array, u: Utterance, speechMs: number, cutMs?: number): number {
  const o = at(speechMs - u.extent.startMs);
  const n = cutMs === undefined ? u.samples.length : at(cutMs - speechMs + u.extent.startMs);
  for (let i = 0; i < n && o + i < dst.length; i++) dst[o + i] += u.samples[i];
  return speechMs + u.extent.endMs - u.extent.startMs;
}
const speechMs = (u: Utterance) => u.extent.endMs - u.extent.startMs;

async function writeTree(root: string, samples: Sample[], withOutput: boolean): Promise<void> {
  for (const s of samples) {
    const dir = join(root, s.path);
    mkdirSync(dir, { recursive: true });
    writeWav(join(dir, 'input.wav'), await resampleAll(s.caller, SR, s.rate), s.rate);
    if (withOutput) writeWav(join(dir, 'output.wav'), await resampleAll(s.system, SR, s.rate), s.rate);
    for (const [file, body] of Object.entries(s.meta))
      writeFileSync(join(dir, file), `${JSON.stringify(body, null, 4)}\n`);
  }
}

describe.skipIf(!engines)("Full-Duplex-Bench's layout, every task", () => {
  const root = mkdtempSync(join(tmpdir(), 'banter-fdb-layout-'));
  let samples: Sample[];
  let vad: SileroModel;
  const truth = { irdMs: 200, latencyMs: 600 };

  beforeAll(async () => {
    vad = await loadSilero({ version: 'v5' });
    const c = (t: string) => utter(t, 'flite:rms', { levelDbfs: -23 });
    const s = (t: string) => utter(t, 'flite:slt', { levelDbfs: -20 });
    const [flight, boston, pharmacy, table, wait, question, uhhuh] = await Promise.all([
      c('I need a flight to'),
      c('Boston on Friday.'),
      c('Can you tell me when the pharmacy opens on Sunday?'),
      c('I would like to book a table for two.'),
      c('Wait, that is not what I asked.'),
      c('What are your opening hours?'),
      c('uh-huh'),
    ]);
    const [check, opens, long] = await Promise.all([
      s('Let me check that for you.'),
      s('The pharmacy opens at nine on Sunday.'),
      s('Our opening hours are from nine in the morning until six in the evening every day of the week.'),
    ]);
    const track = (ms: number) => new Float32Array(at(ms));

    // Pause handling: the system talks 300 ms into the caller's 1.5 s pause (a takeover).
    const p = { caller: track(8000), system: track(8000) };
    const pauseAt = place(p.caller, flight, 500);
    place(p.caller, boston, pauseAt + 1500);
    place(p.system, check, pauseAt + 300);
    // Turn taking (48 kHz): the answer starts 600 ms after the caller's end.
    const t = { caller: track(8000), system: track(8000) };
    const end = place(t.caller, pharmacy, 500);
    place(t.system, opens, end + truth.latencyMs);
    // User interruption: the system answers, is interrupted 1.5 s in and stops 200 ms later.
    const i = { caller: track(9000), system: track(9000) };
    const replyAt = place(i.caller, table, 500) + 400;
    const interruptAt = replyAt + 1500;
    place(i.system, long, replyAt, interruptAt + truth.irdMs);
    place(i.caller, wait, interruptAt);
    // v1.5 backchannel: "uh-huh" 1.5 s into the answer, which goes on.
    const b = { caller: track(10000), system: track(10000) };
    const answerAt = place(b.caller, question, 500) + 400;
    place(b.system, long, answerAt);
    place(b.caller, uhhuh, answerAt + 1500);

    const sec = (ms: number) => Math.round(ms) / 1000;
    samples = [
      {
        path: 'v1.0/candor_pause_handling/1',
        rate: SR,
        ...p,
        meta: { 'pause.json': [{ text: '[PAUSE]', timestamp: [sec(pauseAt), sec(pauseAt + 1500)] }] },
      },
      {
        path: 'v1.0/candor_turn_taking/1',
        rate: 48000,
        ...t,
        meta: { 'turn_taking.json': [{ text: '[TURN-TAKING]', timestamp: [sec(end + 80), sec(end + 80)] }] },
      },
      {
        path: 'v1.0/synthetic_user_interruption/1',
        rate: SR,
        ...i,
        meta: {
          'interrupt.json': [
            {
              context: 'I would like to book a table for two.',
              interrupt: 'Wait, that is not what I asked.',
              timestamp: [sec(interruptAt - 20), sec(interruptAt + speechMs(wait) + 20)],
            },
          ],
        },
      },
      {
        path: 'v1.5/user_backchannel/user_backchannel_001',
        rate: SR,
        ...b,
        meta: {
          'metadata.json': {
            context_text: 'What are your opening hours?',
            current_turn_text: 'uh-huh',
            timestamps: [sec(answerAt + 1500 - 30), sec(answerAt + 1500 + speechMs(uhhuh) + 30)],
          },
        },
      },
    ];
  });
  afterAll(async () => {
    await vad?.release();
    rmSync(root, { recursive: true, force: true });
  });

  it('reads each task from its own metadata file', async () => {
    const tree = join(root, 'meta');
    await writeTree(tree, samples, false);
    const tasks = samples.map((s) => readFdbMeta(join(tree, s.path))?.task);
    expect(tasks).toEqual(['pause_handling', 'turn_taking', 'user_interruption', 'v1.5/user_backchannel']);
  });

  it(
    'offline mirrors the tree and writes output.wav at the input rate and length, labels beside it',
    { timeout: 90_000 },
    async () => {
      const tree = join(root, 'in');
      await writeTree(tree, samples, false);
      const server = await startLocalServer();
      const out = join(root, 'offline');
      try {
        const dirs = samples.map((s) => ({ path: join(tree, s.path), isDir: true }));
        const outs = outputPaths(dirs, out);
        expect(outs.map((o) => relative(out, o))).toEqual(samples.map((s) => s.path));
        await Promise.all(
          dirs.map((d, k) =>
            runOfflineFile(join(d.path, 'input.wav'), outs[k], { url: server.url, tailMs: 500 }),
          ),
        );
      } finally {
        await server.close();
      }
      for (const s of samples) {
        const dir = join(out, s.path);
        const input = readWav(join(dir, 'input.wav'));
        const output = readWav(join(dir, 'output.wav'));
        expect([input.sampleRate, output.sampleRate], s.path).toEqual([s.rate, s.rate]);
        expect(output.samples.length, s.path).toBe(input.samples.length);
        for (const f of Object.keys(s.meta))
          expect(readFileSync(join(dir, f), 'utf8')).toBe(readFileSync(join(tree, s.path, f), 'utf8'));
        expect(existsSync(join(dir, 'events.json'))).toBe(true);
      }
      // A lone sample folder keeps its own name.
      expect(outputPaths([{ path: join(tree, samples[0].path), isDir: true }], out)).toEqual([
        join(out, '1'),
      ]);
    },
  );

  it(
    'fdb-import gives every task its metric, at the values the recordings imply',
    { timeout: 90_000 },
    async () => {
      const tree = join(root, 'scored');
      await writeTree(tree, samples, true);
      const dirs = findFdbSamples(tree);
      expect(dirs.map((d) => relative(tree, d))).toEqual([...samples.map((s) => s.path)].sort());
      const timelines = [];
      for (const d of dirs) {
        const rec = await importFdbSample(d, vad, tree);
        expect(rec.id).toBe(relative(tree, d));
        timelines.push(await analyzeConversation(rec, { vad, asr }));
      }
      const outcomes = timelines.flatMap((t) => scoreTimeline(t));
      const m = Object.fromEntries(aggregate(timelines, outcomes, { asr }).map((r) => [r.key, r]));
      // Pause handling: one pause, taken over.
      expect([m.tor_pause.count, m.tor_pause.n]).toEqual([1, 1]);
      // The interruption landed and stopped the system about 200 ms after its onset.
      expect([m.sir.count, m.sir.n]).toEqual([1, 1]);
      expect(m.ird.value!).toBeGreaterThan(truth.irdMs - 120);
      expect(m.ird.value!).toBeLessThan(truth.irdMs + 160);
      // The backchannel landed over the answer, which went on.
      expect([m.tor_backchannel.count, m.tor_backchannel.n]).toEqual([0, 1]);
      // Turn taking: the 48 kHz sample's answer 600 ms after the caller's end.
      const turn = outcomes.find(
        (o) => o.conversation === 'v1.0/candor_turn_taking/1' && o.kind === 'inquiry',
      );
      expect(turn?.replyMs).not.toBeNull();
      expect(turn!.replyMs! - turn!.offsetMs).toBeGreaterThan(truth.latencyMs - 150);
      expect(turn!.replyMs! - turn!.offsetMs).toBeLessThan(truth.latencyMs + 150);
      if (asr) expect(m.latency.n).toBeGreaterThan(0);
    },
  );
});
