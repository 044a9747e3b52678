/** A small report from hand-made timelines, for the page tests (no server, no audio). */
import { stim, timeline, vadEvents, word } from '../metrics/testing.ts';
import { buildReport } from './report.ts';
import type { Report } from './types.ts';

export function sampleReport(): Report {
  const a = timeline(
    'demo-1',
    [
      stim('interrupt', [[1000, 2500]], 'Wait, <that> is not what I asked.'),
      stim(
        'inquiry',
        [
          [5000, 6000],
          [7200, 8000],
        ],
        'I need a flight to … Boston',
      ),
      stim('noise', [[11000, 11500]], 'cough'),
    ],
    [
      [0, 1150],
      [8400, 10000],
    ],
    {
      words: [word('hi', 50), word('sure', 8450)],
      events: [
        ...vadEvents(1030, 2540),
        ...vadEvents(5010, 6050),
        { type: 'audio.clear', tMs: 1120, atMs: 1140 },
        { type: 'output.start', tMs: 0, atMs: 0, kind: 'greeting' },
      ],
    },
  );
  const b = timeline(
    'demo-2',
    [
      stim('backchannel', [[800, 1200]], 'uh-huh'),
      stim('distractor', [[4000, 6000]], '(LibriSpeech 1688-142285-0003)'),
    ],
    [[0, 1300]],
    {
      events: vadEvents(820, 1230),
    },
  );
  b.skipped.push({
    index: 2,
    kind: 'interrupt',
    atMs: 9000,
    reason: 'output.start:reply not seen within 6000 ms',
  });
  b.notes.push('step 1: a stand-in voice was used');
  return buildReport({
    suite: { name: 'demo', description: 'hand-made timelines for the page tests', conversations: 2 },
    timelines: [a, b],
    asr: 'pocketsphinx (test)',
    greetingText: 'hi',
    run: {
      url: 'ws://127.0.0.1:1/v1/stream',
      local: 'own process',
      vad: 'silero-v5',
      maxLagMs: 3,
      sessionsFailed: 0,
      wallMs: 12_000,
    },
    command: 'npx tsx eval/cli.ts run --suite demo',
    generatedAt: '2025-01-01T00:00:00.000Z',
  });
}
