import { describe, expect, it } from 'vitest';
import { scoreTimeline } from './metrics.ts';
import { replyStages } from './stages.ts';
import { stim, timeline, vadEvents } from './testing.ts';

describe('reply stages', () => {
  it('times each turn-taking event from the end of the inquiry it answered, and skips replies over the system', () => {
    const mark = (type: string, atMs: number) => ({ type, tMs: atMs - 20, atMs });
    const t = timeline(
      'stages',
      [stim('inquiry', [[1000, 2000]]), stim('inquiry', [[6000, 7000]]), stim('inquiry', [[12000, 13000]])],
      [
        [3000, 5000],
        [8200, 11000],
        [11500, 12500], // already speaking when the third inquiry starts: not a clean reply
      ],
      {
        events: [
          ...vadEvents(1000, 2000), // speech end reaches the caller at 2450
          mark('asr.final', 2600),
          mark('turn.end_of_turn', 2600),
          mark('turn.llm_first_text', 2700),
          mark('turn.tts_first_audio', 2900),
          mark('output.start', 2900),
          ...vadEvents(6000, 7000), // at 7450
          mark('asr.final', 7800),
          mark('turn.end_of_turn', 7800),
          mark('turn.llm_first_text', 8000),
          mark('turn.tts_first_audio', 8100),
          mark('output.start', 8050),
        ],
      },
    );
    const rows = Object.fromEntries(replyStages([t], scoreTimeline(t)).map((r) => [r.type, r]));
    expect(rows['vad.speech_end']).toMatchObject({ medianMs: 450, n: 2 });
    expect(rows['asr.final']).toMatchObject({ medianMs: 700, p90Ms: 800, n: 2 }); // 600 and 800
    expect(rows['turn.llm_first_text']).toMatchObject({ medianMs: 850, n: 2 }); // 700 and 1000
    expect(rows.audible).toMatchObject({ medianMs: 1100, p90Ms: 1200, n: 2 }); // 1000 and 1200
  });

  it('gives no rows for a server that sends no turn-taking events and answered nothing', () => {
    const t = timeline('quiet', [stim('inquiry', [[1000, 2000]])], []);
    expect(replyStages([t], scoreTimeline(t))).toEqual([]);
  });
});
