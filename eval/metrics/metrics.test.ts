import { describe, expect, it } from 'vitest';
import { aggregate, type MetricResult } from './aggregate.ts';
import { isTakeover, scoreTimeline, vadF1 } from './metrics.ts';
import type { MetricKey } from './specs.ts';
import { median, percentile } from './stats.ts';
import { stim, timeline, vadEvents, word } from './testing.ts';
import type { Timeline } from './timeline.ts';

function metrics(
  timelines: Timeline[],
  options: { asr?: boolean; greeting?: string } = {},
): Record<MetricKey, MetricResult> {
  const outcomes = timelines.flatMap((t) => scoreTimeline(t));
  const list = aggregate(timelines, outcomes, {
    asr: options.asr ?? true,
    expectedGreeting: options.greeting,
  });
  return Object.fromEntries(list.map((m) => [m.key, m])) as Record<MetricKey, MetricResult>;
}

/**
 * A system that answers: inquiries with an on-time reply, an early reply
 * and no reply; interruptions that stop it fast, late, and not at all.
 */
const answering = [
  timeline(
    'answering-1',
    [
      stim('interrupt', [[1000, 2000]]), // system [0,1150] stops 150 ms in (inside); reply at 2600
      stim('inquiry', [[5000, 6000]]), // reply at 6400: FSED 400; first word 6450: latency 450
      stim('inquiry', [[9000, 11000]]), // system starts at 10000: early (> 500 ms before the end)
      stim('inquiry', [[14000, 15000]]), // nothing within 5 s: no reply
    ],
    [
      [0, 1150],
      [2600, 4000],
      [6400, 7600],
      [10000, 12000],
    ],
    { words: [word('sure', 2650), word('okay', 6450), word('well', 10100)] },
  ),
  timeline(
    'answering-2',
    [
      stim('interrupt', [[1000, 1800]]), // system talks on to 5000 (> end + 2 s): no stop; nothing new within 5 s
      stim('interrupt', [[8000, 9000]]), // system stops at 9500: after the end (SIR fail), IRD 1500; no reply after
      stim('inquiry', [[12000, 13000]]), // reply at 13200: FSED 200; first word 13300: latency 300
    ],
    [
      [0, 5000],
      [7000, 9500],
      [13200, 14000],
    ],
    { words: [word('right', 13300)] },
  ),
];

describe('FD-Bench metrics on timelines with known answers', () => {
  const m = metrics(answering);

  it('SRR: 3 of 4 inquiries got system speech within 5 s', () => {
    expect(m.srr.count).toBe(3);
    expect(m.srr.n).toBe(4);
    expect(m.srr.value).toBeCloseTo(75, 6);
  });

  it('SIR: 1 of 3 interruptions stopped the system before the caller finished', () => {
    expect([m.sir.count, m.sir.n]).toEqual([1, 3]);
    expect(m.sir.value).toBeCloseTo(100 / 3, 6);
  });

  it('SRIR: 1 of 3 landed interruptions was answered', () => {
    expect([m.srir.count, m.srir.n]).toEqual([1, 3]);
  });

  it('EIR: 1 of 4 inquiries was talked over early', () => {
    expect([m.eir.count, m.eir.n]).toEqual([1, 4]);
    expect(m.eir.value).toBeCloseTo(25, 6);
  });

  it('IRD: median of 150 and 1500 ms', () => {
    expect(m.ird.values).toEqual([150, 1500]);
    expect(m.ird.value).toBe(825);
  });

  it('FSED: median of the on-time replies (400, 200), early ones excluded', () => {
    expect(m.fsed.values?.sort()).toEqual([200, 400]);
    expect(m.fsed.value).toBe(300);
  });

  it('turn-taking latency: first word − end of turn, negatives clamped to 0 (FDB)', () => {
    expect(m.latency.values?.sort((a, b) => a - b)).toEqual([0, 300, 450]);
    expect(m.latency.value).toBe(300);
  });

  it('turn-taking latency is n/a without the recognizer', () => {
    const noAsr = metrics(answering, { asr: false });
    expect(noAsr.latency.value).toBeNull();
    expect(noAsr.latency.na).toMatch(/pocketsphinx/);
  });
});

describe('overlap handling: backchannels, noise, distractors, resumption', () => {
  const t = timeline(
    'overlap',
    [
      stim('backchannel', [[11000, 11400]]), // system [10000,14000] talks on: no stop
      stim('backchannel', [[15200, 15500]]), // system stops at 15600, resumes at 16500
      stim('noise', [[19500, 20000]]), // system [19000,22000] talks on
      stim('distractor', [[23200, 24000]]), // system stops at 23700, does not resume within 3 s
      stim('noise', [[27000, 28000]]), // in a gap; system answers at 28500: noise-triggered
      stim('distractor', [[31000, 32000]]), // in a gap; nothing
    ],
    [
      [10000, 14000],
      [15000, 15600],
      [16500, 18000],
      [19000, 22000],
      [23000, 23700],
      [28500, 29500],
    ],
  );
  // NIR needs a system that answers something; one answered inquiry in another conversation.
  const answered = timeline('answered', [stim('inquiry', [[1000, 2000]])], [[2300, 3300]]);
  const m = metrics([t, answered]);

  it('TOR (backchannel): 1 of 2 backchannels made the system stop', () => {
    expect([m.tor_backchannel.count, m.tor_backchannel.n]).toEqual([1, 2]);
    expect(m.tor_backchannel.value).toBeCloseTo(0.5, 6);
  });

  it('false barge-in: 1 of 2 noise/distractor stimuli over speech stopped the system', () => {
    expect([m.false_barge_in.count, m.false_barge_in.n]).toEqual([1, 2]);
    expect(m.false_barge_in.value).toBeCloseTo(50, 6);
  });

  it('resume rate: 1 of 2 false stops was followed by speech within 3 s', () => {
    expect([m.resume.count, m.resume.n]).toEqual([1, 2]);
    expect(m.resume.value).toBeCloseTo(50, 6);
  });

  it('NIR: 1 of 2 noises in silent gaps drew system speech', () => {
    expect([m.nir.count, m.nir.n]).toEqual([1, 2]);
    expect(m.nir.value).toBeCloseTo(50, 6);
  });
});

describe('system turns', () => {
  it('a sentence pause is not a stop; an interruption landing in one stops the system at its onset', () => {
    const t = timeline(
      'turns',
      [
        stim('interrupt', [[1420, 2500]]), // system paused at 1400 (sentence break) and never went on: stopped at onset
        stim('backchannel', [[6000, 6300]]), // system pauses 5900-6200 and goes on: no stop
      ],
      [
        [0, 1400],
        [5000, 5900],
        [6200, 9000],
      ],
    );
    const [a, b] = scoreTimeline(t);
    expect(a.duringSystem).toBe(true);
    expect(a.stopMs).toBe(1420);
    expect(b.duringSystem).toBe(true);
    expect(b.stopMs).toBeNull();
  });
});

describe('takeovers in mid-turn pauses (Full-Duplex-Bench TOR)', () => {
  const t = timeline(
    'pauses',
    [
      stim('inquiry', [
        [1000, 2000],
        [3500, 4500],
      ]), // system talks [2500,3700] in the pause: 1.2 s, a takeover
      stim('inquiry', [
        [10000, 11000],
        [12000, 13000],
      ]), // [11200,11500]: 300 ms and 1 word, not a takeover
      stim('inquiry', [
        [20000, 21000],
        [22500, 23500],
      ]), // [21200,21700]: 500 ms but 4 words, a takeover
      stim('inquiry', [
        [30000, 31000],
        [32000, 33000],
      ]), // nothing in the pause
    ],
    [
      [2500, 3700],
      [11200, 11500],
      [21200, 21700],
      [33500, 34000],
    ],
    {
      words: [
        word('hm', 11250),
        word('a', 21200, 21300),
        word('b', 21300, 21400),
        word('c', 21400, 21500),
        word('d', 21500, 21600),
      ],
    },
  );
  it('2 of 4 pauses were taken over', () => {
    const m = metrics([t]);
    expect([m.tor_pause.count, m.tor_pause.n]).toEqual([2, 4]);
    expect(m.tor_pause.value).toBeCloseTo(0.5, 6);
  });
  it('3 of 4 pauses had system speech in them at all (the 300 ms, 1-word start counts here)', () => {
    const m = metrics([t]);
    expect([m.pause_onset.count, m.pause_onset.n]).toEqual([3, 4]);
    expect(m.pause_onset.value).toBe(75);
  });
  it('isTakeover follows FDB: >= 1 s of speech or > 3 words', () => {
    expect(isTakeover(t.system, t.words, t.system[0])).toBe(true);
    expect(isTakeover(t.system, t.words, t.system[1])).toBe(false);
    expect(isTakeover(t.system, t.words, t.system[2])).toBe(true);
    expect(isTakeover(t.system, null, t.system[2])).toBe(false);
  });
});

describe('server VAD against ground truth', () => {
  const t = timeline(
    'vad',
    [
      stim('inquiry', [[1000, 2000]]), // server: +30 ms onset, +50 ms offset
      stim('interrupt', [[4000, 5000]]), // server: -10 ms onset, +90 ms offset
      stim('backchannel', [[7000, 7400]]), // server missed it
      stim('noise', [[9000, 9500]]), // server fired on it
      stim('distractor', [[11000, 12000]]), // server silent
    ],
    [],
    {
      events: [...vadEvents(1030, 2050), ...vadEvents(3990, 5090), ...vadEvents(9100, 9400)],
      durationMs: 14000,
    },
  );
  const m = metrics([t]);

  it('onset error: median of +30 and -10 ms, 2 of 3 utterances matched', () => {
    expect(m.vad_onset.values?.sort((a, b) => a - b)).toEqual([-10, 30]);
    expect(m.vad_onset.value).toBe(10);
    expect(m.vad_onset.n).toBe(2);
  });

  it('offset error: median of +50 and +90 ms', () => {
    expect(m.vad_offset.value).toBe(70);
  });

  it('frame F1 against the primary caller’s truth', () => {
    // Truth 1000+1000+400 = 2400 ms; detected 1020+1100+300 ms; overlap 970+1000 = 1970 ms.
    const precision = 1970 / 2420;
    const recall = 1970 / 2400;
    expect(vadF1(t)!).toBeCloseTo((2 * precision * recall) / (precision + recall), 2);
    expect(m.vad_f1.value!).toBeCloseTo(vadF1(t)!, 9);
  });

  it('trigger rate on noise and other speakers: 1 of 2', () => {
    expect([m.vad_false_trigger.count, m.vad_false_trigger.n]).toEqual([1, 2]);
  });

  it('is n/a when the server sends no vad events', () => {
    const quiet = metrics([timeline('quiet', [stim('inquiry', [[1000, 2000]])], [[2500, 3000]])]);
    expect(quiet.vad_onset.value).toBeNull();
    expect(quiet.vad_onset.na).toMatch(/no vad/);
  });
});

describe('greeting WER (checks the recognizer)', () => {
  const words = ['hi', 'this', 'is', 'a', 'bender', 'how', 'can', 'i', 'help', 'you', 'today'].map((w, i) =>
    word(w, 100 + i * 250, 300 + i * 250),
  );
  it('compares the first utterance with the script when it played to the end', () => {
    const t = timeline(
      'greet',
      [stim('inquiry', [[5000, 6000]])],
      [
        [80, 1500],
        [1700, 3000],
      ],
      { words },
    );
    const m = metrics([t], { greeting: 'Hi, this is banter. How can I help you today?' });
    // "banter" -> "a bender": one substitution and one insertion over 10 words.
    expect(m.greeting_wer.value).toBeCloseTo(0.2, 6);
  });
  it('skips greetings that were cut, and says so', () => {
    const t = timeline('cut', [stim('interrupt', [[1000, 2000]])], [[80, 1200]], {
      words: words.slice(0, 4),
    });
    const m = metrics([t], { greeting: 'Hi, this is banter.' });
    expect(m.greeting_wer.value).toBeNull();
    expect(m.greeting_wer.na).toMatch(/cut/);
  });
});

describe('n/a instead of numbers for behaviour the system does not have', () => {
  // Today's server: greets, stops on any speech, never answers, never resumes.
  const t = timeline(
    'listener',
    [
      stim('interrupt', [[1000, 2000]]),
      stim('inquiry', [[5000, 6000]]),
      stim('noise', [[9000, 9500]]),
      stim('inquiry', [
        [12000, 13000],
        [14000, 15000],
      ]),
    ],
    [[0, 1140]],
  );
  const m = metrics([t]);
  it.each(['srr', 'srir', 'eir', 'nir', 'fsed', 'tor_pause', 'latency'] as MetricKey[])(
    '%s is n/a with the reason',
    (key) => {
      expect(m[key].value).toBeNull();
      expect(m[key].na).toMatch(/answered none of the 2 inquiries/);
    },
  );
  it('while what it does have is measured', () => {
    expect(m.sir.value).toBe(100);
    expect(m.ird.value).toBe(140);
  });
  it('resume rate is n/a when the system never stopped falsely', () => {
    expect(m.resume.value).toBeNull();
    expect(m.resume.na).toMatch(/never stopped/);
  });
  it('resume rate is n/a, with the reason, when it stopped falsely but never resumed', () => {
    const r = metrics([timeline('bc', [stim('backchannel', [[500, 800]])], [[0, 900]])]);
    expect(r.resume.value).toBeNull();
    expect(r.resume.na).toMatch(/not implemented/);
    expect(r.tor_backchannel.value).toBe(1);
  });
});

describe('statistics', () => {
  it('median and nearest-rank percentile', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(percentile([10, 20, 30, 40, 50, 60, 70, 80, 90, 100], 90)).toBe(90);
    expect(percentile([5], 90)).toBe(5);
  });
});
