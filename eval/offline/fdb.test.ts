import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSilero } from '../../server/turn-taking/silero.ts';
import { readWav as readPcmWav } from '../../server/audio/wav.ts';
import type { RecordedConversation } from '../metrics/analyze.ts';
import { stim } from '../metrics/testing.ts';
import { saveConversation } from '../runner/artifacts.ts';
import {
  exportFdb,
  fdbOutputJson,
  findFdbSamples,
  importFdbSample,
  inferStimuli,
  mergeSegments,
} from './fdb.ts';
import { outputPaths, TrackCaller } from './offline.ts';

function tone(ms: number, hz = 220, amp = 0.2): Float32Array {
  const x = new Float32Array((ms * 16000) / 1000);
  for (let i = 0; i < x.length; i++) x[i] = amp * Math.sin((2 * Math.PI * hz * i) / 16000);
  return x;
}

function fakeRun(): { dir: string; rec: RecordedConversation } {
  const dir = mkdtempSync(join(tmpdir(), 'banter-run-'));
  const caller = new Float32Array(5 * 16000);
  caller.set(tone(800), 16000);
  const system = new Float32Array(5 * 16000);
  system.set(tone(1000, 330), 0);
  const s0 = stim('interrupt', [[1000, 1800]], 'wait');
  const rec: RecordedConversation = {
    id: 'c1',
    sampleRate: 16000,
    caller,
    system,
    stimuli: [
      { ...s0, index: 0 },
      { ...stim('inquiry', [[3000, 3500]], 'so?'), index: 1 },
    ],
    skipped: [],
    events: [{ atMs: 1100, msg: { type: 'vad.speech_start', t_ms: 1030 } }],
    notes: [],
  };
  saveConversation(dir, rec);
  return { dir, rec };
}

describe('Full-Duplex-Bench layout', () => {
  it('exports input.wav, output.wav, banter.json, output.json and interrupt.json per sample', () => {
    const { dir, rec } = fakeRun();
    const dest = mkdtempSync(join(tmpdir(), 'banter-fdb-'));
    try {
      const words = [{ word: 'hello', startMs: 100, endMs: 400, confidence: 1 }];
      exportFdb(dir, dest, [{ id: 'c1', words } as never]);
      const s = join(dest, 'c1');
      for (const f of ['input.wav', 'output.wav', 'banter.json', 'output.json', 'interrupt.json'])
        expect(existsSync(join(s, f)), f).toBe(true);
      const input = readPcmWav(join(s, 'input.wav'));
      const output = readPcmWav(join(s, 'output.wav'));
      expect(input.samples.length).toBe(output.samples.length);
      expect(input.samples[16000 + 10]).toBeCloseTo(rec.caller[16000 + 10], 3);
      expect(JSON.parse(readFileSync(join(s, 'interrupt.json'), 'utf8'))).toEqual([
        { context: '', interrupt: 'wait', timestamp: [1, 1.8] },
      ]);
      expect(JSON.parse(readFileSync(join(s, 'output.json'), 'utf8'))).toEqual({
        text: 'hello',
        chunks: [{ text: 'hello', timestamp: [0.1, 0.4] }],
      });
      expect(findFdbSamples(dest)).toEqual([s]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      rmSync(dest, { recursive: true, force: true });
    }
  });

  it('imports its own export exactly (ground truth from banter.json)', async () => {
    const { dir, rec } = fakeRun();
    const dest = mkdtempSync(join(tmpdir(), 'banter-fdb-'));
    const vad = await loadSilero({ version: 'v5' });
    try {
      exportFdb(dir, dest);
      const back = await importFdbSample(join(dest, 'c1'), vad);
      expect(back.stimuli).toEqual(rec.stimuli);
      expect(back.events).toEqual(rec.events);
    } finally {
      await vad.release();
      rmSync(dir, { recursive: true, force: true });
      rmSync(dest, { recursive: true, force: true });
    }
  });

  it('infers caller turns without ground truth: a turn over system speech is an interruption', () => {
    const caller = [
      { startMs: 1000, endMs: 1800 },
      { startMs: 3000, endMs: 3500 },
      { startMs: 4000, endMs: 4600 }, // 500 ms after the previous: same turn, with a pause
      { startMs: 9000, endMs: 9500 },
    ];
    const system = [{ startMs: 0, endMs: 1200 }];
    const st = inferStimuli(caller, [...system, { startMs: 8800, endMs: 9700 }]);
    expect(st.map((s) => s.kind)).toEqual(['interrupt', 'inquiry', 'interrupt']);
    expect(st[1].pauses).toEqual([{ startMs: 3500, endMs: 4000 }]);
    expect(st[2].pauses).toEqual([]);
  });

  it('merges close segments and writes FDB transcripts in seconds', () => {
    expect(
      mergeSegments(
        [
          { startMs: 0, endMs: 100 },
          { startMs: 150, endMs: 300 },
          { startMs: 900, endMs: 1000 },
        ],
        100,
      ),
    ).toEqual([
      { startMs: 0, endMs: 300 },
      { startMs: 900, endMs: 1000 },
    ]);
    expect(
      fdbOutputJson([{ word: 'a', startMs: 1234.5678, endMs: 1500, confidence: 1 }]).chunks[0].timestamp,
    ).toEqual([1.235, 1.5]);
  });
});

describe('offline output paths', () => {
  const out = '/out';
  it('keeps the named folder and the tree below it: samples named alike never collide', () => {
    const v15 = '/ds/v1_5/background_speech';
    expect(
      outputPaths(
        [
          { path: `${v15}/bg_speech_001`, isDir: true, arg: v15 },
          { path: `${v15}/bg_speech_002`, isDir: true, arg: v15 },
        ],
        out,
      ),
    ).toEqual(['/out/background_speech/bg_speech_001', '/out/background_speech/bg_speech_002']);
    expect(
      outputPaths(
        [
          { path: '/ds/candor_pause_handling/1', isDir: true },
          { path: '/ds/candor_turn_taking/1', isDir: true },
        ],
        out,
      ),
    ).toEqual(['/out/candor_pause_handling/1', '/out/candor_turn_taking/1']);
  });

  it('names a lone sample after itself, an input.wav after its folder, another file after itself', () => {
    expect(outputPaths([{ path: '/ds/t/1', isDir: true, arg: '/ds/t/1' }], out)).toEqual(['/out/1']);
    expect(
      outputPaths(
        [
          { path: '/ds/t/1/input.wav', isDir: false },
          { path: '/ds/t/2/input.wav', isDir: false },
        ],
        out,
      ),
    ).toEqual(['/out/1', '/out/2']);
    expect(outputPaths([{ path: '/calls/monday.mp3', isDir: false }], out)).toEqual(['/out/monday']);
  });
});

describe('TrackCaller (offline mode)', () => {
  it('plays the track in 20 ms frames, then the tail in silence', () => {
    const track = tone(50);
    const c = new TrackCaller(track, 40);
    const frames: Float32Array[] = [];
    while (!c.finished) frames.push(c.nextFrame());
    expect(frames.length).toBe(Math.ceil((50 + 40) / 20));
    expect(frames[0][5]).toBeCloseTo(track[5], 6);
    expect(frames.at(-1)!.every((x) => x === 0)).toBe(true);
  });
});
