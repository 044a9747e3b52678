import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { callerVoiceProblem } from '../caller/voices.ts';
import {
  SCENARIO_DIR,
  countKinds,
  generateSmokeSuite,
  generateStandardSuite,
  suiteToYaml,
} from './generate.ts';
import { GAP_RANGES_MS, parseSuite, type Suite } from './schema.ts';

describe('standard suite', () => {
  const suite = generateStandardSuite();

  it('has at least 50 conversations and 100 interruptions (FD-Bench scale)', () => {
    expect(suite.conversations.length).toBeGreaterThanOrEqual(50);
    expect(countKinds(suite).interrupt).toBeGreaterThanOrEqual(100);
  });

  it('covers every stimulus kind, mid-turn pauses, background noise and all three difficulties', () => {
    const k = countKinds(suite);
    for (const kind of ['inquiry', 'interrupt', 'backchannel', 'noise', 'distractor'] as const)
      expect(k[kind]).toBeGreaterThan(10);
    const steps = suite.conversations.flatMap((c) => c.steps);
    expect(steps.filter((s) => s.parts?.some((p) => 'pause_ms' in p)).length).toBeGreaterThan(10);
    expect(
      new Set(suite.conversations.map((c) => c.background?.snr_db).filter((x) => x !== undefined)),
    ).toEqual(new Set([0, 10, 20]));
    expect(new Set(suite.conversations.map((c) => c.difficulty))).toEqual(
      new Set(['easy', 'medium', 'hard']),
    );
  });

  it("keeps FD-Bench's gaps between inquiries per difficulty", () => {
    for (const c of suite.conversations) {
      const [lo, hi] = GAP_RANGES_MS[c.difficulty!];
      // The first inquiry after a played-out greeting has its own fixed gap.
      for (const s of c.steps.slice(2)) {
        if (s.gap_ms === undefined) continue;
        expect(s.gap_ms).toBeGreaterThanOrEqual(lo);
        expect(s.gap_ms).toBeLessThanOrEqual(hi);
      }
    }
  });

  it('meets replies with every stimulus kind, at least 100 of them interruptions early, mid-way and late', () => {
    const during = suite.conversations.flatMap((c) =>
      c.steps.filter((s) => s.send_after?.event === 'output.start:reply'),
    );
    const interrupts = during.filter((s) => s.kind === 'interrupt');
    expect(interrupts.length).toBeGreaterThanOrEqual(100);
    for (const kind of ['backchannel', 'noise', 'distractor'] as const)
      expect(during.filter((s) => s.kind === kind).length).toBeGreaterThanOrEqual(10);
    expect(during.some((s) => s.kind === 'noise' && s.sound?.source === 'cough')).toBe(true);
    const delays = interrupts.map((s) => s.send_after!.delay_ms);
    expect(delays.filter((d) => d < 900).length).toBeGreaterThan(20);
    expect(delays.filter((d) => d >= 900 && d < 1800).length).toBeGreaterThan(20);
    expect(delays.filter((d) => d >= 1800).length).toBeGreaterThan(20);
  });

  it('opens half the conversations against the greeting and lets the rest hear it out', () => {
    const openers = suite.conversations.filter(
      (c) => c.steps[0].send_after?.event === 'output.start:greeting',
    );
    expect(openers.length / suite.conversations.length).toBe(0.5);
  });

  it('pauses 0.5-2 s inside inquiries', () => {
    const pauses = suite.conversations.flatMap((c) =>
      c.steps.flatMap((s) => s.parts?.flatMap((p) => ('pause_ms' in p ? [p.pause_ms] : [])) ?? []),
    );
    expect(pauses.length).toBe(suite.conversations.length);
    expect(Math.min(...pauses)).toBeGreaterThanOrEqual(500);
    expect(Math.max(...pauses)).toBeLessThanOrEqual(2000);
  });

  it('uses only evaluation voices (never banter’s own or a training voice)', () => {
    assertVoices(suite);
  });

  it('is deterministic and committed as generated', () => {
    expect(suiteToYaml(generateStandardSuite())).toBe(suiteToYaml(suite));
    expect(readFileSync(join(SCENARIO_DIR, 'standard.yaml'), 'utf8')).toBe(suiteToYaml(suite));
    expect(parseSuite(suiteToYaml(suite))).toEqual(suite);
  });
});

describe('smoke suite', () => {
  const suite = generateSmokeSuite();
  it('is small, synthetic-only and touches every stimulus kind', () => {
    expect(suite.conversations.length).toBeLessThanOrEqual(5);
    const k = countKinds(suite);
    for (const kind of ['inquiry', 'interrupt', 'backchannel', 'noise', 'distractor'] as const)
      expect(k[kind]).toBeGreaterThan(0);
    for (const c of suite.conversations)
      for (const s of c.steps) expect(s.voice ?? c.voice).not.toMatch(/^libri:/);
    assertVoices(suite);
  });
  it('is committed as generated', () => {
    expect(readFileSync(join(SCENARIO_DIR, 'smoke.yaml'), 'utf8')).toBe(suiteToYaml(suite));
  });
});

describe('voice plan', () => {
  it.each([
    'flite:rms',
    'festival:ked_diphone',
    'espeak-ng:en-gb-scotland',
    'espeak-ng:en-gb-scotland+f2',
    'libri:1688',
  ])('%s may call', (v) => {
    expect(callerVoiceProblem(v)).toBeNull();
  });
  it.each([
    ['flite:slt', /own TTS voice/],
    ['festival:slt_hts', /own TTS voice/],
    ['flite:kal16', /not an evaluation caller voice/],
    ['espeak-ng:en-029', /not an evaluation caller voice/],
    ['espeak-ng:en-us+m3', /not an evaluation caller voice/],
    ['libri:103', /not a LibriSpeech test-other speaker/],
  ])('%s may not', (v, why) => {
    expect(callerVoiceProblem(v)).toMatch(why);
  });
});

function assertVoices(suite: Suite): void {
  for (const c of suite.conversations) {
    for (const v of [c.voice, ...c.steps.map((s) => s.voice).filter((x): x is string => !!x)])
      expect(callerVoiceProblem(v), `${c.id}: ${v}`).toBeNull();
  }
}
