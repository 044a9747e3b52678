import { describe, expect, it } from 'vitest';
import { parseSuite, seedFromString, stepText } from './schema.ts';

const yaml = `
format: 1
name: t
conversations:
  - id: c1
    voice: flite:rms
    background: { source: pink, snr_db: 10 }
    steps:
      - kind: interrupt
        text: wait
        send_after: { event: output.start:greeting, delay_ms: 800 }
      - kind: inquiry
        parts: [{ text: I need a flight to }, { pause_ms: 1200 }, { text: Boston }]
        gap_ms: 4000
      - kind: noise
        sound: { source: cough }
        gap_ms: 2000
      - kind: distractor
        voice: libri:1688
        gap_ms: 2000
`;

describe('scenario files', () => {
  it('reads YAML', () => {
    const s = parseSuite(yaml);
    expect(s.conversations[0].steps.map((x) => x.kind)).toEqual([
      'interrupt',
      'inquiry',
      'noise',
      'distractor',
    ]);
    expect(stepText(s.conversations[0].steps[1])).toBe('I need a flight to … Boston');
  });

  it('reads JSON (JSON is YAML)', () => {
    const json = JSON.stringify({
      format: 1,
      name: 'j',
      conversations: [
        { id: 'a', voice: 'festival:ked_diphone', steps: [{ kind: 'inquiry', text: 'hi', gap_ms: 0 }] },
      ],
    });
    expect(parseSuite(json).name).toBe('j');
  });

  const bad = (step: object) =>
    JSON.stringify({ format: 1, name: 'b', conversations: [{ id: 'a', voice: 'flite:rms', steps: [step] }] });

  it.each([
    [{ kind: 'inquiry', text: 'x' }, /exactly one of gap_ms and send_after/],
    [
      { kind: 'inquiry', text: 'x', gap_ms: 1, send_after: { event: 'output.start', delay_ms: 0 } },
      /exactly one/,
    ],
    [{ kind: 'noise', gap_ms: 1 }, /noise needs sound/],
    [{ kind: 'inquiry', gap_ms: 1 }, /needs text or parts/],
    [{ kind: 'interrupt', parts: [{ text: 'a' }], gap_ms: 1 }, /only inquiries have parts/],
    [{ kind: 'distractor', text: 'a', gap_ms: 1 }, /distractor needs its own voice/],
    [{ kind: 'inquiry', text: 'x', send_after: { event: 'output.begin', delay_ms: 0 } }, /event/],
    [{ kind: 'inquiry', text: 'x', gap_ms: 1, voice: 'sam' }, /voice must be/],
  ])('rejects %j', (step, message) => {
    expect(() => parseSuite(bad(step))).toThrow(message);
  });

  it('rejects duplicate conversation ids', () => {
    const s = {
      format: 1,
      name: 'd',
      conversations: [0, 1].map(() => ({
        id: 'same',
        voice: 'flite:rms',
        steps: [{ kind: 'inquiry', text: 'x', gap_ms: 0 }],
      })),
    };
    expect(() => parseSuite(JSON.stringify(s))).toThrow(/duplicate conversation id same/);
  });

  it('derives stable seeds from ids', () => {
    expect(seedFromString('std-001')).toBe(seedFromString('std-001'));
    expect(seedFromString('std-001')).not.toBe(seedFromString('std-002'));
  });
});
