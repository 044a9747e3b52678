/**
 * Another system's recordings scored with banter's metrics through the real `eval score` CLI:
 * two-channel WAVs (caller left, system right), with a mono file among them reported and
 * skipped with its code.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineAvailable, utter, type Utterance } from '../../fixtures/synth.ts';
import { writeWav } from '../../server/audio/wav.ts';
import { loadSilero } from '../../server/turn-taking/silero.ts';
import type { Report } from '../report/types.ts';
import { importTwoChannel, TwoChannelError } from './two-channel.ts';

const SR = 16000;
const engines = engineAvailable('flite');
if (!engines) console.warn('two-channel.test: flite missing (apt-get install flite): skipped');

const cli = (args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'eval/cli.ts', ...args], {
    cwd: new URL('../..', import.meta.url).pathname,
    encoding: 'utf8',
    timeout: 120_000,
  });

function place(dst: Float32Array, u: Utterance, speechMs: number): number {
  const o = Math.round(((speechMs - u.extent.startMs) * SR) / 1000);
  for (let i = 0; i < u.samples.length && o + i < dst.length; i++) dst[o + i] += u.samples[i];
  return speechMs + u.extent.endMs - u.extent.startMs;
}

describe.skipIf(!engines)('scoring recordings of another system', () => {
  const root = mkdtempSync(join(tmpdir(), 'banter-score-'));
  const delays = [500, 900];
  beforeAll(async () => {
    const ask = await utter('Can you tell me when the pharmacy opens on Sunday?', 'flite:rms', {
      levelDbfs: -23,
    });
    const reply = await utter('The pharmacy opens at nine on Sunday.', 'flite:slt', { levelDbfs: -20 });
    mkdirSync(join(root, 'stereo', 'day1'), { recursive: true });
    delays.forEach((d, k) => {
      const caller = new Float32Array(7 * SR);
      const system = new Float32Array(7 * SR);
      place(system, reply, place(caller, ask, 600) + d);
      writeWav(join(root, 'stereo', 'day1', `call${k}.wav`), [caller, system], SR);
    });
    writeWav(join(root, 'mono.wav'), new Float32Array(SR), SR);
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('eval score DIR of two-channel WAVs reports the replies at their delays', () => {
    const out = join(root, 'report');
    const r = cli(['score', join(root, 'stereo'), '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as Report;
    expect(report.conversations.map((c) => c.id)).toEqual(['day1/call0', 'day1/call1']);
    const fsed = report.metrics.find((m) => m.key === 'fsed')!;
    expect(fsed.n).toBe(2);
    const replies = report.conversations.map((c) => {
      const o = c.outcomes.find((x) => x.kind === 'inquiry')!;
      return o.replyMs! - o.offsetMs;
    });
    replies.forEach((d, k) => expect(Math.abs(d - delays[k]), `call${k}: ${d} ms`).toBeLessThan(150));
  }, 120_000);

  it('eval score skips a mono file with its code, and scores the rest', () => {
    const out = join(root, 'report-mixed');
    const r = cli(['score', root, '--out', out]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/1 of 3 two-channel recordings skipped/);
    expect(r.stderr).toMatch(/recording_not_two_channel: .*mono\.wav: 1 channel/);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as Report;
    expect(report.conversations.map((c) => c.id)).toEqual(['stereo/day1/call0', 'stereo/day1/call1']);
  }, 120_000);

  it('takes the caller from either channel, and refuses a mono file with a coded error', async () => {
    const vad = await loadSilero({ version: 'v5' });
    try {
      const left = await importTwoChannel(join(root, 'stereo', 'day1', 'call0.wav'), vad);
      const right = await importTwoChannel(join(root, 'stereo', 'day1', 'call0.wav'), vad, {
        callerChannel: 1,
      });
      expect(left.stimuli[0].startMs).toBeLessThan(right.stimuli[0].startMs);
      await expect(importTwoChannel(join(root, 'mono.wav'), vad)).rejects.toThrow(TwoChannelError);
    } finally {
      await vad.release();
    }
  });

  it('eval score names what it found nothing to score in', () => {
    const empty = mkdtempSync(join(tmpdir(), 'banter-score-empty-'));
    const r = cli(['score', empty]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/no banter run, no Full-Duplex-Bench samples/);
    rmSync(empty, { recursive: true, force: true });
  }, 60_000);
});
