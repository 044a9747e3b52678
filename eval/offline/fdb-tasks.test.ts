import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FdbMetaError, readFdbMeta, stimuliFromFdbMeta, type FdbMeta } from './fdb-tasks.ts';

const iv = (startMs: number, endMs: number) => ({ startMs, endMs });

describe('Full-Duplex-Bench task metadata', () => {
  const root = mkdtempSync(join(tmpdir(), 'banter-fdb-tasks-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const sample = (path: string, files: Record<string, string>) => {
    const dir = join(root, path);
    mkdirSync(dir, { recursive: true });
    for (const [f, body] of Object.entries(files)) writeFileSync(join(dir, f), body);
    return dir;
  };

  it('names every v1.5 task by the folder above the sample, and ICC backchannels by their path', () => {
    const meta = JSON.stringify({ context_text: 'hi', current_turn_text: 'so', timestamps: [1.5, 2.25] });
    for (const t of ['user_interruption', 'user_backchannel', 'background_speech', 'talking_to_other']) {
      const m = readFdbMeta(sample(`v1_5/${t}/${t}_001`, { 'metadata.json': meta }), root);
      expect(m).toEqual({ task: `v1.5/${t}`, marks: [iv(1500, 2250)], text: 'so', context: 'hi' });
    }
    expect(readFdbMeta(sample('v1.0/icc_backchannel/3', {}), root)).toEqual({
      task: 'backchannel',
      marks: [],
    });
    expect(readFdbMeta(sample('elsewhere/3', {}), root)).toBeNull();
    // FDB's own v1.5 sample names (bg_speech_001) do not name the task: their folder does.
    const bg = sample('v1_5/background_speech/bg_speech_001', { 'metadata.json': meta });
    expect(readFdbMeta(bg, root)?.task).toBe('v1.5/background_speech');
    expect(readFdbMeta(bg, join(root, 'v1_5/background_speech'))?.task).toBe('v1.5/background_speech');
    // Only folders from the imported one down count, nearest first.
    const nested = sample('user_interruption_runs/v1_5/talking_to_other/talk_other_001', {
      'metadata.json': meta,
    });
    expect(readFdbMeta(nested, join(root, 'user_interruption_runs/v1_5'))?.task).toBe(
      'v1.5/talking_to_other',
    );
    const ablation = sample('backchannel-ablation/7', {});
    expect(readFdbMeta(ablation, join(root, 'backchannel-ablation'))).toBeNull();
  });

  it('gives a coded error for a label file it cannot read', () => {
    const bad = sample('v1.0/candor_pause_handling/9', { 'pause.json': '[{"timestamp": "soon"}]' });
    expect(() => readFdbMeta(bad)).toThrow(FdbMetaError);
    const junk = sample('v1.0/candor_pause_handling/10', { 'pause.json': '{not json' });
    expect(() => readFdbMeta(junk)).toThrow(/not JSON/);
    const orphan = sample('mystery/1', { 'metadata.json': '{"timestamps": [1, 2]}' });
    expect(() => readFdbMeta(orphan, root)).toThrow(/none found from the imported folder down/);
  });

  const speech = [iv(500, 1500), iv(1600, 2000), iv(3600, 4500), iv(7000, 7400), iv(9000, 9800)];
  const kinds = (m: FdbMeta) => stimuliFromFdbMeta(m, speech).map((s) => s.kind);

  it('pause handling: a breath inside the pause is not its edge', () => {
    const withBreath = [iv(500, 1900), iv(2600, 2800), iv(3600, 5000)];
    const [st] = stimuliFromFdbMeta({ task: 'pause_handling', marks: [iv(2000, 3500)] }, withBreath);
    expect(st.pauses).toEqual([iv(1900, 3600)]);
    // Nothing near either edge: the label as given.
    const [far] = stimuliFromFdbMeta({ task: 'pause_handling', marks: [iv(8000, 9000)] }, withBreath);
    expect(far.pauses).toEqual([iv(8000, 9000)]);
  });

  it('pause handling: one inquiry whose pause is the labelled one, snapped to the speech', () => {
    const [st] = stimuliFromFdbMeta({ task: 'pause_handling', marks: [iv(2050, 3550)] }, speech.slice(0, 3));
    expect(st.kind).toBe('inquiry');
    expect(st.pauses).toEqual([iv(2000, 3600)]);
    expect([st.startMs, st.endMs]).toEqual([500, 4500]);
  });

  it('turn taking: the turn ends at the label; later speech is a later turn', () => {
    const st = stimuliFromFdbMeta({ task: 'turn_taking', marks: [iv(4600, 4600)] }, speech);
    expect(st.map((s) => [s.kind, s.startMs, s.endMs])).toEqual([
      ['inquiry', 3600, 4500],
      ['inquiry', 7000, 7400],
      ['inquiry', 9000, 9800],
    ]);
  });

  it('overlap tasks: the context before the label, the labelled stimulus, later turns after', () => {
    const mark = [iv(6950, 7450)];
    expect(kinds({ task: 'user_interruption', marks: mark })).toEqual([
      'inquiry',
      'inquiry',
      'interrupt',
      'inquiry',
    ]);
    expect(kinds({ task: 'v1.5/user_backchannel', marks: mark })).toEqual([
      'inquiry',
      'inquiry',
      'backchannel',
      'inquiry',
    ]);
    expect(kinds({ task: 'v1.5/talking_to_other', marks: mark })).toEqual([
      'inquiry',
      'inquiry',
      'distractor',
      'inquiry',
    ]);
    const bg = stimuliFromFdbMeta({ task: 'v1.5/background_speech', marks: mark, text: 'what time' }, speech);
    expect(bg[2]).toMatchObject({ kind: 'inquiry', startMs: 7000, endMs: 7400, text: 'what time' });
    // The context keeps its own pauses: 500-1500 and 1600-2000 are one turn.
    expect(bg[0].active).toEqual([iv(500, 1500), iv(1600, 2000)]);
    // Nothing found near the label: the label itself is the stimulus.
    const none = stimuliFromFdbMeta({ task: 'user_interruption', marks: [iv(12000, 12500)] }, speech);
    expect(none.at(-1)).toMatchObject({ kind: 'interrupt', startMs: 12000, endMs: 12500 });
  });

  it('ICC backchannel: the caller holds the floor, every gap of 300 ms or more is a pause', () => {
    const [st] = stimuliFromFdbMeta({ task: 'backchannel', marks: [] }, speech);
    expect(st.pauses).toEqual([iv(2000, 3600), iv(4500, 7000), iv(7400, 9000)]);
  });
});
