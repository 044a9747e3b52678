/**
 * Builds the standard suite (FD-Bench style: 60 conversations, > 100
 * interruptions, easy/medium/hard gaps, noise and distractors) and the CI
 * smoke suite, deterministically from a seed, and writes them as YAML:
 *
 *   npx tsx eval/scenario/generate.ts            # rewrites eval/scenarios/{standard,smoke}.yaml
 *
 * Half the conversations open against the greeting; the rest let it play
 * out. Every inquiry's reply then meets something (an interruption early,
 * mid-way or late, a backchannel, a cough, noise or another voice) timed
 * from the reply's first audio (`output.start:reply`); a step whose reply
 * never comes is skipped and logged.
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { seededRandom } from '../../fixtures/signal.ts';
import { CALLER_TTS_VOICES, LIBRI_TEST_OTHER_SPEAKERS } from '../caller/voices.ts';
import {
  GAP_RANGES_MS,
  SCENARIO_FORMAT_VERSION,
  type Background,
  type Conversation,
  type Difficulty,
  type Step,
  type Suite,
} from './schema.ts';

export const SCENARIO_DIR = join(dirname(fileURLToPath(import.meta.url)), '../scenarios');

const INQUIRIES = [
  'I would like to book a table for two tomorrow evening.',
  'Can you tell me what time the pharmacy opens on Sunday?',
  'I need to change the delivery address on my order.',
  'What is the weather going to be like this weekend?',
  'Could you find me a cheap hotel near the train station?',
  'How much does it cost to send a parcel to Canada?',
  'I want to cancel my gym membership.',
  'Is there a bus from the airport to the city centre at night?',
  'Please remind me to call my sister at six.',
  'Which dentist near me is open on Saturdays?',
  'Can I get a refund for a ticket I bought yesterday?',
  'What is a good recipe for a quick vegetable soup?',
  'I lost my bank card and need to block it.',
  'How long does it take to drive to the coast from here?',
  'Can you play some calm music while I cook?',
  'I would like to renew my library books.',
  'What movies are showing tonight at the cinema downtown?',
  'My internet has been very slow since this morning.',
  'Could you book me a taxi for half past eight?',
  'How do I reset the password for my account?',
];

/** Two halves of a turn with a pause between: the system must wait for the second. */
const PAUSED_INQUIRIES: Array<[string, string]> = [
  ['I need a flight to', 'Boston on Friday morning.'],
  ['Could you check whether', 'my package has been shipped?'],
  ['I am looking for a restaurant that', 'serves vegetarian food.'],
  ['What I really want to know is', 'whether the museum is open on Monday.'],
  ['Can you tell me', 'how to get to the nearest hospital?'],
  ['I would like to order', 'two large pizzas and a salad.'],
  ['My appointment is on Tuesday but', 'I need to move it to Thursday.'],
  ['Let me think, I want', 'a room with a sea view.'],
];

const INTERRUPTIONS = [
  'Sorry, can I stop you there?',
  'Wait, wait, that is not what I asked.',
  'Hold on, I have a question.',
  'No, actually, I meant next week.',
  'Excuse me, can you repeat the price?',
  'Stop, I need to tell you something.',
  'Actually, let me change my order.',
  'Hang on, I think that is wrong.',
  'One second, my address has changed.',
  'Sorry to interrupt, but I am in a hurry.',
  'Wait, can you say that again slowly?',
  'No no, I wanted the earlier train.',
];

const BACKCHANNELS = ['uh-huh', 'mm-hmm', 'right', 'okay', 'yeah', 'I see'];

/** Said by a distractor synthetic voice when LibriSpeech is absent; LibriSpeech clips carry their own words. */
const DISTRACTOR_LINES = [
  'And in other news tonight, the city council has approved the new budget.',
  'Did you remember to feed the cat before we left?',
  'The next train to the central station departs from platform four.',
  'I told him already, he never listens to me anyway.',
];

const BACKGROUNDS: Array<Background | undefined> = [
  undefined,
  { source: 'pink', snr_db: 20 },
  { source: 'file:running_tap', snr_db: 10 },
  undefined,
  { source: 'file:doing_the_dishes', snr_db: 10 },
  { source: 'white', snr_db: 20 },
  undefined,
  { source: 'file:exercise_bike', snr_db: 0 },
  { source: 'pink', snr_db: 0 },
];

const NOISE_SOUNDS: Step['sound'][] = [
  { source: 'cough' },
  { source: 'file:dude_miaowing', duration_ms: 1500, level_dbfs: -28 },
  { source: 'white', duration_ms: 1000, level_dbfs: -35 },
  { source: 'file:doing_the_dishes', duration_ms: 2000, level_dbfs: -26 },
  { source: 'cough', level_dbfs: -24 },
  { source: 'pink', duration_ms: 1500, level_dbfs: -30 },
];

/** How a conversation opens against the greeting (every other conversation; the rest let it play out). */
type Opener = 'interrupt' | 'backchannel' | 'cough' | 'noise' | 'distractor' | 'listen';
const OPENERS: Opener[] = ['interrupt', 'backchannel', 'interrupt', 'cough', 'distractor', 'noise'];

/**
 * What the caller does while a reply plays, and when (ms after the reply's
 * first audio): interruptions early, in the middle and late in a reply,
 * backchannels, coughs, noise and another voice. Cycled, so each
 * conversation gets a different mix and the suite gets every kind at every
 * point.
 */
type DuringReply =
  | { kind: 'interrupt'; at: [number, number] }
  | { kind: 'backchannel' | 'cough' | 'noise' | 'distractor'; at: [number, number] };
const DURING_REPLY: DuringReply[] = [
  { kind: 'interrupt', at: [300, 900] },
  { kind: 'backchannel', at: [500, 2000] },
  { kind: 'interrupt', at: [900, 1800] },
  { kind: 'cough', at: [400, 2000] },
  { kind: 'interrupt', at: [1800, 3000] },
  { kind: 'distractor', at: [300, 1500] },
  { kind: 'interrupt', at: [900, 1800] },
  { kind: 'noise', at: [300, 1500] },
  { kind: 'interrupt', at: [300, 900] },
  { kind: 'backchannel', at: [500, 2000] },
  { kind: 'interrupt', at: [900, 1800] },
  { kind: 'interrupt', at: [1800, 3000] },
];

/** Waiting for a reply that may never come: long enough for a slow system, short enough to keep runs bounded. */
const REPLY_TIMEOUT_MS = 6000;

export interface GenerateOptions {
  conversations: number;
  seed: number;
}

export function generateStandardSuite(options: Partial<GenerateOptions> = {}): Suite {
  const { conversations: count = 60, seed = 20250 } = options;
  const rand = seededRandom(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)];
  const between = (lo: number, hi: number, step = 100) => Math.round((lo + rand() * (hi - lo)) / step) * step;
  const difficulties: Difficulty[] = ['easy', 'medium', 'hard'];
  const conversations: Conversation[] = [];

  for (let i = 0; i < count; i++) {
    const difficulty = difficulties[i % 3];
    const [gapLo, gapHi] = GAP_RANGES_MS[difficulty];
    const gap = () => between(gapLo, gapHi);
    const voice = CALLER_TTS_VOICES[i % CALLER_TTS_VOICES.length];
    const opener: Opener = i % 2 === 0 ? OPENERS[(i / 2) % OPENERS.length] : 'listen';
    const libri = LIBRI_TEST_OTHER_SPEAKERS[i % LIBRI_TEST_OTHER_SPEAKERS.length];
    const steps: Step[] = [];

    // Opener: against the ~3 s greeting, early enough to land inside it.
    const onGreeting = (lo: number, hi: number) => ({
      event: 'output.start:greeting' as const,
      delay_ms: between(lo, hi),
      timeout_ms: 4000,
    });
    if (opener === 'interrupt')
      steps.push({ kind: 'interrupt', text: pick(INTERRUPTIONS), send_after: onGreeting(300, 1800) });
    if (opener === 'backchannel')
      steps.push({ kind: 'backchannel', text: pick(BACKCHANNELS), send_after: onGreeting(500, 1500) });
    if (opener === 'cough')
      steps.push({ kind: 'noise', sound: { source: 'cough' }, send_after: onGreeting(400, 1500) });
    if (opener === 'noise')
      steps.push({
        kind: 'noise',
        sound: pick(NOISE_SOUNDS.filter((s) => s!.source !== 'cough')),
        send_after: onGreeting(300, 1000),
      });
    if (opener === 'distractor') {
      steps.push({
        kind: 'distractor',
        voice: `libri:${libri}`,
        text: pick(DISTRACTOR_LINES),
        level_db: -6,
        send_after: onGreeting(300, 1200),
      });
    }

    // A stimulus while the reply to the previous inquiry plays.
    const duringReply = (slot: number): Step => {
      const d = DURING_REPLY[(i + slot * 5) % DURING_REPLY.length];
      const send_after = {
        event: 'output.start:reply' as const,
        delay_ms: between(d.at[0], d.at[1]),
        timeout_ms: REPLY_TIMEOUT_MS,
      };
      if (d.kind === 'interrupt') return { kind: 'interrupt', text: pick(INTERRUPTIONS), send_after };
      if (d.kind === 'backchannel') return { kind: 'backchannel', text: pick(BACKCHANNELS), send_after };
      if (d.kind === 'cough') return { kind: 'noise', sound: { source: 'cough' }, send_after };
      if (d.kind === 'noise')
        return { kind: 'noise', sound: pick(NOISE_SOUNDS.filter((s) => s!.source !== 'cough')), send_after };
      return {
        kind: 'distractor',
        voice: `libri:${LIBRI_TEST_OTHER_SPEAKERS[(i + 5) % 10]}`,
        text: pick(DISTRACTOR_LINES),
        level_db: -6,
        send_after,
      };
    };

    // After the greeting has played out (or was cut), a first inquiry.
    steps.push({ kind: 'inquiry', text: pick(INQUIRIES), gap_ms: opener === 'listen' ? 4000 : gap() });
    steps.push(duringReply(0));
    const [a, b] = pick(PAUSED_INQUIRIES);
    steps.push({
      kind: 'inquiry',
      parts: [{ text: a }, { pause_ms: between(500, 2000) }, { text: b }],
      gap_ms: gap(),
    });
    steps.push(duringReply(1));
    if (i % 2 === 0) steps.push({ kind: 'noise', sound: pick(NOISE_SOUNDS), gap_ms: gap() });
    else
      steps.push({
        kind: 'distractor',
        voice: `libri:${LIBRI_TEST_OTHER_SPEAKERS[(i + 3) % 10]}`,
        text: pick(DISTRACTOR_LINES),
        level_db: -6,
        gap_ms: gap(),
      });
    steps.push({ kind: 'inquiry', text: pick(INQUIRIES), gap_ms: gap() });
    steps.push(duringReply(2));

    conversations.push({
      id: `std-${String(i + 1).padStart(3, '0')}`,
      description: `opens with ${opener === 'listen' ? 'the greeting played out' : `${opener === 'interrupt' ? 'an' : 'a'} ${opener} during the greeting`}`,
      difficulty,
      voice,
      ...(BACKGROUNDS[i % BACKGROUNDS.length] ? { background: BACKGROUNDS[i % BACKGROUNDS.length] } : {}),
      seed: seed + i,
      steps,
      tail_ms: 4000,
    });
  }
  return {
    format: SCENARIO_FORMAT_VERSION,
    name: 'standard',
    description:
      'FD-Bench-style suite: inquiries with easy/medium/hard gaps (6-10/4-6/2-4 s), interruptions of the greeting and early/mid/late in replies, mid-turn pauses of 0.5-2 s, backchannels, coughs, noise and distractor speakers during replies and in gaps, background noise at 0/10/20 dB SNR. Generated by eval/scenario/generate.ts.',
    conversations,
  };
}

/**
 * Four short conversations (about 15 s each) that touch every stimulus kind
 * with synthetic voices only, so CI needs neither ../shared nor a long run.
 */
export function generateSmokeSuite(): Suite {
  const onGreeting = (delay: number) => ({
    event: 'output.start:greeting' as const,
    delay_ms: delay,
    timeout_ms: 4000,
  });
  return {
    format: SCENARIO_FORMAT_VERSION,
    name: 'smoke',
    description:
      'CI smoke suite: one conversation per stimulus family, synthetic caller voices only. Generated by eval/scenario/generate.ts.',
    conversations: [
      {
        id: 'smoke-interrupt',
        description: 'barge-in on the greeting, then an inquiry',
        difficulty: 'hard',
        voice: 'flite:rms',
        steps: [
          { kind: 'interrupt', text: 'Sorry, can I stop you there?', send_after: onGreeting(1000) },
          { kind: 'inquiry', text: 'I would like to book a table for two.', gap_ms: 2000 },
        ],
        tail_ms: 2500,
      },
      {
        id: 'smoke-backchannel',
        description: 'backchannel during the greeting, a cough in a gap, a paused inquiry',
        difficulty: 'hard',
        voice: 'festival:ked_diphone',
        steps: [
          { kind: 'backchannel', text: 'mm-hmm', send_after: onGreeting(800) },
          { kind: 'noise', sound: { source: 'cough' }, gap_ms: 1500 },
          {
            kind: 'inquiry',
            parts: [{ text: 'I need a flight to' }, { pause_ms: 1200 }, { text: 'Boston on Friday.' }],
            gap_ms: 1500,
          },
        ],
        tail_ms: 2500,
      },
      {
        id: 'smoke-noise',
        description:
          'noise burst during the greeting over background pink noise, then a reply interruption that waits for a reply',
        difficulty: 'hard',
        voice: 'espeak-ng:en-gb-scotland+m3',
        background: { source: 'pink', snr_db: 10 },
        steps: [
          {
            kind: 'noise',
            sound: { source: 'white', duration_ms: 800, level_dbfs: -35 },
            send_after: onGreeting(500),
          },
          { kind: 'inquiry', text: 'Can you tell me when the pharmacy opens?', gap_ms: 2500 },
          {
            kind: 'interrupt',
            text: 'Wait, that is not what I asked.',
            send_after: { event: 'output.start:reply', delay_ms: 1000, timeout_ms: 3000 },
          },
        ],
        tail_ms: 2000,
      },
      {
        id: 'smoke-distractor',
        description: 'another voice talks during the greeting, then an inquiry',
        difficulty: 'hard',
        voice: 'espeak-ng:en-gb-scotland',
        steps: [
          {
            kind: 'distractor',
            voice: 'espeak-ng:en-gb-scotland+f2',
            text: 'Did you remember to feed the cat?',
            level_db: -6,
            send_after: onGreeting(700),
          },
          { kind: 'inquiry', text: 'How much does it cost to send a parcel?', gap_ms: 2500 },
        ],
        tail_ms: 2500,
      },
    ],
  };
}

export function suiteToYaml(suite: Suite): string {
  return `# Generated by eval/scenario/generate.ts; edit the generator, not this file.\n${stringify(suite, { lineWidth: 0, aliasDuplicateObjects: false, singleQuote: true })}`;
}

/** Interruption attempts in a suite (scripted; whether each lands depends on the system speaking). */
export function countKinds(suite: Suite): Record<Step['kind'], number> {
  const out = { inquiry: 0, interrupt: 0, backchannel: 0, noise: 0, distractor: 0 };
  for (const c of suite.conversations) for (const s of c.steps) out[s.kind]++;
  return out;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const suite of [generateStandardSuite(), generateSmokeSuite()]) {
    const path = join(SCENARIO_DIR, `${suite.name}.yaml`);
    writeFileSync(path, suiteToYaml(suite));
    console.log(
      `wrote ${path}: ${suite.conversations.length} conversations, ${JSON.stringify(countKinds(suite))}`,
    );
  }
}
