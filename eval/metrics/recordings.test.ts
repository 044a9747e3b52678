/**
 * The metrics end to end on synthetic recordings with known answers: real
 * synthesized speech placed on two channels at known times (the system's
 * speech cut off where a real system would stop), then the full analysis
 * (Silero VAD on both channels, pocketsphinx on the system side) and the
 * metrics. Every metric comes out at the value the construction implies.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { engineAvailable, utter, type Utterance, type VoiceId } from '../../fixtures/synth.ts';
import { loadSilero, type SileroModel } from '../../server/turn-taking/silero.ts';
import type { PlacedStep } from '../caller/caller.ts';
import type { StepKind } from '../scenario/schema.ts';
import { cough } from '../caller/sounds.ts';
import { analyzeConversation, type RecordedConversation } from './analyze.ts';
import { ensurePocketsphinx } from './asr.ts';
import { aggregate, type MetricResult } from './aggregate.ts';
import { scoreTimeline } from './metrics.ts';
import type { MetricKey } from './specs.ts';
import type { Timeline } from './timeline.ts';

const SR = 16000;
const engines = engineAvailable('flite') && engineAvailable('espeak-ng');
const asr = ensurePocketsphinx({ install: false }).available;
if (!engines)
  console.warn('recordings.test: flite/espeak-ng missing (apt-get install flite espeak-ng): skipped');
if (!asr)
  console.warn(
    'recordings.test: pocketsphinx missing (apt-get install pocketsphinx pocketsphinx-en-us): word metrics skipped',
  );

const GREETING = 'Hi, this is banter. How can I help you today?';
const CALLER: VoiceId = 'flite:rms';
const SYSTEM: VoiceId = 'flite:slt';

/** Two channels under construction, with the truth of what was placed. */
class Recording {
  readonly caller: Float32Array;
  readonly system: Float32Array;
  readonly stimuli: PlacedStep[] = [];
  constructor(
    readonly id: string,
    readonly durationMs: number,
  ) {
    this.caller = new Float32Array((durationMs * SR) / 1000);
    this.system = new Float32Array((durationMs * SR) / 1000);
  }
  /** Places a caller clip so that its speech starts at speechMs. */
  say(kind: StepKind, u: Utterance | Array<Utterance | number>, speechMs: number): PlacedStep {
    const parts = Array.isArray(u) ? u : [u];
    let at = speechMs;
    const active: PlacedStep['active'] = [];
    for (const p of parts) {
      if (typeof p === 'number') {
        at += p;
        continue;
      }
      const start = at - p.extent.startMs;
      add(this.caller, p.samples, start);
      active.push({ startMs: at, endMs: at + p.extent.endMs - p.extent.startMs });
      at = active.at(-1)!.endMs;
    }
    const pauses = active.slice(1).map((a, i) => ({ startMs: active[i].endMs, endMs: a.startMs }));
    const step: PlacedStep = {
      index: this.stimuli.length,
      kind,
      startMs: active[0].startMs,
      endMs: at,
      active,
      pauses,
      source: CALLER,
      text: kind,
    };
    this.stimuli.push(step);
    return step;
  }
  /** Places system speech starting at speechMs, cut (hard) at cutMs when given. Returns the true [start, end]. */
  speak(u: Utterance, speechMs: number, cutMs?: number): [number, number] {
    const clip =
      cutMs === undefined
        ? u.samples
        : u.samples.subarray(0, Math.round(((cutMs - speechMs + u.extent.startMs) * SR) / 1000));
    add(this.system, clip, speechMs - u.extent.startMs);
    return [speechMs, cutMs ?? speechMs + u.extent.endMs - u.extent.startMs];
  }
  noise(kind: 'noise' | 'distractor', samples: Float32Array, atMs: number, durMs: number): void {
    add(this.caller, samples, atMs);
    this.stimuli.push({
      index: this.stimuli.length,
      kind,
      startMs: atMs,
      endMs: atMs + durMs,
      active: [{ startMs: atMs, endMs: atMs + durMs }],
      pauses: [],
      source: kind,
      text: kind,
    });
  }
  toRecorded(events: RecordedConversation['events'] = []): RecordedConversation {
    return {
      id: this.id,
      sampleRate: SR,
      caller: this.caller,
      system: this.system,
      stimuli: this.stimuli,
      skipped: [],
      events,
      notes: [],
    };
  }
}

function add(dst: Float32Array, src: Float32Array, atMs: number): void {
  const o = Math.round((atMs * SR) / 1000);
  for (let i = 0; i < src.length && o + i < dst.length; i++) if (o + i >= 0) dst[o + i] += src[i];
}

describe.skipIf(!engines)('metrics on synthetic recordings with known answers', () => {
  let vad: SileroModel;
  let m: Record<MetricKey, MetricResult>;
  let timelines: Timeline[];
  const truth: Record<string, number> = {};

  beforeAll(async () => {
    vad = await loadSilero({ version: 'v5' });
    const c = (t: string) => utter(t, CALLER, { levelDbfs: -23 });
    const s = (t: string) => utter(t, SYSTEM, { levelDbfs: -20 });
    const [greeting, reply1, reply2, reply3, long1, wait, ask, flight, boston, uhhuh, table] =
      await Promise.all([
        s(GREETING),
        s('Sure, a table for two at seven.'),
        s('The pharmacy opens at nine on Sunday.'),
        s('Let me check that for you.'),
        s('Our opening hours are from nine in the morning until six in the evening every day.'),
        c('Wait, that is not what I asked.'),
        c('Can you tell me when the pharmacy opens on Sunday?'),
        c('I need a flight to'),
        c('Boston on Friday.'),
        c('uh-huh'),
        c('I would like to book a table for two.'),
      ]);
    const other = await utter(
      'Did you remember to feed the cat before we left the house?',
      'espeak-ng:en-gb-scotland+f2',
      { levelDbfs: -29 },
    );

    // A: greeting played to the end; an inquiry answered 400 ms after it ends; an early answer; a noise that draws speech.
    const a = new Recording('a', 40_000);
    a.speak(greeting, 300);
    const q1 = a.say('inquiry', table, 6000);
    const [r1] = a.speak(reply1, q1.active[0].endMs + 400);
    truth.fsed = 400;
    const q2 = a.say('inquiry', ask, 13000);
    a.speak(reply2, q2.active[0].endMs - 1200); // early: talks over the last 1.2 s
    a.noise('noise', cough(1, 10 ** (-24 / 20)), 24000, 450);
    a.speak(reply3, 24000 + 450 + 800); // answers the cough
    const q3 = a.say('inquiry', [flight, 1500, boston], 30000); // system talks 1.2 s+ into the pause
    a.speak(reply3, q3.pauses[0].startMs + 300);
    void r1;

    // B: interruptions, a backchannel, a distractor; the greeting cut by the first interruption.
    const b = new Recording('b', 40_000);
    const i1 = b.say('interrupt', wait, 1200);
    b.speak(greeting, 300, 1200 + 160); // stops 160 ms after onset
    truth.ird1 = 160;
    const [l2s] = b.speak(long1, 6000, 6000 + 1000 + 2600); // interrupted at 7000, stops 2.6 s later: after "wait..." ended (SIR fail)
    const i2 = b.say('interrupt', wait, l2s + 1000);
    truth.ird2 = 2600;
    const [l3s] = b.speak(long1, 14000, 14000 + 1000 + 250); // backchannel at 15000 stops it at 15250...
    b.say('backchannel', uhhuh, l3s + 1000);
    b.speak(reply3, 14000 + 1250 + 1000); // ...and it resumes 1 s later
    b.speak(long1, 22000); // a distractor over it (22.3-25.0 s): it keeps talking to its end (26.4 s)
    b.noise(
      'distractor',
      other.samples,
      22300 - other.extent.startMs,
      other.extent.endMs - other.extent.startMs,
    );
    b.stimuli.at(-1)!.active = [{ startMs: 22300, endMs: 22300 + other.extent.endMs - other.extent.startMs }];
    void i1;
    void i2;

    // Fabricated server VAD events on A's first inquiry: +32 ms onset, +64 ms offset.
    const ev = (type: 'vad.speech_start' | 'vad.speech_end', t: number, start?: number) => ({
      atMs: t + 100,
      msg: type === 'vad.speech_start' ? { type, t_ms: t } : { type, t_ms: t, start_ms: start! },
    });
    const events = [
      ev('vad.speech_start', q1.active[0].startMs + 32),
      ev('vad.speech_end', q1.active[0].endMs + 64, q1.active[0].startMs + 32),
    ];

    timelines = [
      await analyzeConversation(a.toRecorded(events as never), { vad, asr }),
      await analyzeConversation(b.toRecorded(), { vad, asr }),
    ];
    const outcomes = timelines.flatMap((t) => scoreTimeline(t));

    m = Object.fromEntries(
      aggregate(timelines, outcomes, { asr, expectedGreeting: GREETING }).map((r) => [r.key, r]),
    ) as typeof m;
  }, 120_000);

  it('SRR: all 3 inquiries got an answer (one on time, one early, one in a pause)', () => {
    expect([m.srr.count, m.srr.n]).toEqual([3, 3]);
  });
  it('EIR: 2 of 3 were talked over early (the early answer and the pause takeover)', () => {
    expect([m.eir.count, m.eir.n]).toEqual([2, 3]);
  });
  it('FSED: the on-time answer came 400 ms after the end, within a VAD frame', () => {
    expect(m.fsed.n).toBe(1);
    expect(Math.abs(m.fsed.value! - truth.fsed)).toBeLessThanOrEqual(40);
  });
  it('NIR: the one cough in a gap drew speech', () => {
    expect([m.nir.count, m.nir.n]).toEqual([1, 1]);
  });
  it('TOR (pause): the one pause was taken over', () => {
    expect([m.tor_pause.count, m.tor_pause.n]).toEqual([1, 1]);
  });
  it('SIR: 1 of 2 interruptions stopped the system inside the utterance', () => {
    expect([m.sir.count, m.sir.n]).toEqual([1, 2]);
  });
  it('IRD: median of 160 and 2600 ms, each within 20 ms', () => {
    const v = [...m.ird.values!].sort((x, y) => x - y);
    expect(Math.abs(v[0] - truth.ird1)).toBeLessThanOrEqual(20);
    expect(Math.abs(v[1] - truth.ird2)).toBeLessThanOrEqual(20);
  });
  it('TOR (backchannel) 1 of 1, resumed 1 of 1 after 1 s of silence; false barge-in 0 of 1 (the distractor)', () => {
    expect([m.tor_backchannel.count, m.tor_backchannel.n]).toEqual([1, 1]);
    expect([m.resume.count, m.resume.n]).toEqual([1, 1]);
    expect(m.resume_gap.n).toBe(1);
    // Stopped at 15250, the resumed clip placed at 16250 (its speech starts after a little lead-in).
    expect(m.resume_gap.value!).toBeGreaterThanOrEqual(980);
    expect(m.resume_gap.value!).toBeLessThanOrEqual(1300);
    expect([m.false_barge_in.count, m.false_barge_in.n]).toEqual([0, 1]);
  });
  it('server VAD errors come out as fabricated: +32 ms onset, +64 ms offset', () => {
    expect(m.vad_onset.values).toEqual([32]);
    expect(m.vad_offset.values).toEqual([64]);
  });
  it.skipIf(!asr)('turn-taking latency: first recognized word within 150 ms of the true answer onset', () => {
    // The on-time answer: 400 ms; the early answer and the pause takeover clamp to 0.
    const v = [...m.latency.values!].sort((x, y) => x - y);
    expect(v.length).toBe(3);
    expect(v[0]).toBe(0);
    expect(Math.abs(v[2] - 400)).toBeLessThanOrEqual(150);
  });
  it.skipIf(!asr)(
    'greeting WER: pocketsphinx hears the greeting that played out ("banter" is not in its vocabulary)',
    () => {
      expect(m.greeting_wer.n).toBe(1);
      expect(m.greeting_wer.value!).toBeLessThanOrEqual(0.5);
      expect(timelines[0].words!.map((w) => w.word).join(' ')).toContain('help you today');
    },
  );
});
