import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { engineAvailable, rms, speechExtent, toDb, power } from '../../fixtures/synth.ts';
import type { Conversation } from '../scenario/schema.ts';
import { prepareConversation } from './prepare.ts';
import { brownNoise, cough, renderSound } from './sounds.ts';
import { libriAvailable } from './voices.ts';

process.env.BANTER_EVAL_CACHE ??= mkdtempSync(join(tmpdir(), 'banter-tts-'));
const engines = engineAvailable('flite') && engineAvailable('espeak-ng') && engineAvailable('festival');
if (!engines) console.warn('prepare.test: flite/espeak-ng/festival missing: synthesis tests skipped');
if (!libriAvailable())
  console.warn(
    'prepare.test: ../shared/data/speech/librispeech-speakers/test-other is absent: LibriSpeech test skipped',
  );

describe('sounds', () => {
  it('renders seeded noise at the asked level, deterministically', async () => {
    for (const source of ['white', 'pink', 'brown', 'cough']) {
      const a = await renderSound(source, 1000, -30, 7);
      const b = await renderSound(source, 1000, -30, 7);
      expect(a.samples).toEqual(b.samples);
      expect(Math.abs(toDb(power(a.samples)) + 30)).toBeLessThan(0.2);
    }
  });
  it('makes a cough of two bursts, about half a second', () => {
    const c = cough(3);
    expect(c.length / 16).toBeGreaterThan(350);
    expect(c.length / 16).toBeLessThan(600);
    expect(rms(brownNoise(16000, 1, 0.1))).toBeCloseTo(0.1, 5);
  });
  it('stands in pink noise, with a note, for a recording that is not there', async () => {
    const saved = process.env.BANTER_SHARED_DATA;
    process.env.BANTER_SHARED_DATA = '/nonexistent';
    try {
      const r = await renderSound('file:running_tap', 500, -30, 1);
      expect(r.note).toMatch(/absent; pink noise stands in/);
      expect(r.samples.length).toBe(8000);
    } finally {
      if (saved === undefined) delete process.env.BANTER_SHARED_DATA;
      else process.env.BANTER_SHARED_DATA = saved;
    }
  });
});

describe.skipIf(!engines)('prepared conversations', () => {
  const conv: Conversation = {
    id: 'p',
    voice: 'festival:ked_diphone',
    background: { source: 'pink', snr_db: 10 },
    steps: [
      {
        kind: 'inquiry',
        parts: [{ text: 'I need a flight to' }, { pause_ms: 1200 }, { text: 'Boston.' }],
        gap_ms: 1000,
      },
      {
        kind: 'distractor',
        voice: 'espeak-ng:en-gb-scotland+f2',
        text: 'Did you feed the cat?',
        level_db: -6,
        gap_ms: 500,
      },
      { kind: 'noise', sound: { source: 'cough' }, gap_ms: 500 },
    ],
  };

  it('keeps the pause exactly as scripted, speech end to speech start', async () => {
    const p = await prepareConversation(conv);
    const [q] = p.steps;
    expect(q.clip.active.length).toBe(2);
    expect(q.clip.pauses[0].endMs - q.clip.pauses[0].startMs).toBeCloseTo(1200, 0);
    // Nothing audible outside the truth: the pause and the pads are silent.
    const quiet = (a: number, b: number) =>
      toDb(power(q.clip.samples, Math.round(a * 16), Math.round(b * 16)) + 1e-12);
    expect(quiet(0, q.clip.active[0].startMs - 2)).toBeLessThan(-55);
    expect(quiet(q.clip.pauses[0].startMs + 5, q.clip.pauses[0].endMs - 5)).toBeLessThan(-55);
    expect(speechExtent(q.clip.samples, 16000)).not.toBeNull();
  });

  it('levels the caller at -23 dBFS, the distractor 6 dB under, the background 10 dB under', async () => {
    const p = await prepareConversation(conv);
    const speechDb = (i: number) => {
      const c = p.steps[i].clip;
      const a = c.active[0];
      return toDb(power(c.samples, Math.round(a.startMs * 16), Math.round(a.endMs * 16)));
    };
    expect(speechDb(0)).toBeCloseTo(-23, 0);
    expect(speechDb(1)).toBeCloseTo(-29, 0);
    expect(toDb(power(p.background!))).toBeCloseTo(-33, 0);
  });

  it('refuses voices outside the evaluation voice plan', async () => {
    await expect(prepareConversation({ ...conv, voice: 'flite:slt' })).rejects.toThrow(
      /banter's own TTS voice/,
    );
    await expect(
      prepareConversation({ ...conv, voice: 'flite:slt' }, { allowAnyVoice: true }),
    ).resolves.toBeTruthy();
  });

  it.skipIf(!libriAvailable())('plays real LibriSpeech test-other speakers as distractors', async () => {
    const p = await prepareConversation({
      id: 'l',
      voice: 'flite:rms',
      steps: [{ kind: 'distractor', voice: 'libri:1688', gap_ms: 0 }],
    });
    expect(p.steps[0].clip.source).toBe('libri:1688');
    expect(p.steps[0].clip.samples.length / 16).toBeLessThanOrEqual(3500);
    expect(p.notes).toEqual([]);
  });

  it('stands in a synthetic voice, with a note, when LibriSpeech is absent', async () => {
    const saved = process.env.BANTER_SHARED_DATA;
    process.env.BANTER_SHARED_DATA = '/nonexistent';
    try {
      const p = await prepareConversation({
        id: 'l',
        voice: 'flite:rms',
        steps: [{ kind: 'distractor', voice: 'libri:1688', text: 'hello there', gap_ms: 0 }],
      });
      expect(p.steps[0].clip.source).toMatch(/^espeak-ng:en-gb-scotland/);
      expect(p.notes[0]).toMatch(/absent/);
    } finally {
      if (saved === undefined) delete process.env.BANTER_SHARED_DATA;
      else process.env.BANTER_SHARED_DATA = saved;
    }
  });
});
