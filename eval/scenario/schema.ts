/**
 * Scenario files: scripted conversations for the simulated caller, as data
 * (YAML or JSON). One schema validates both at the boundary; inside the
 * harness the types are trusted.
 *
 * A conversation is a list of caller steps played one after another. Each
 * step starts either a fixed gap after the previous step ended (`gap_ms`,
 * FD-Bench's "silence between inquiries") or a delay after a system event
 * (`send_after`, pipecat's scenario idiom for scripting a barge-in). What
 * the system is expected to do depends on the step's `kind`:
 *
 * | kind        | caller does                            | the system should            |
 * |-------------|----------------------------------------|------------------------------|
 * | inquiry     | asks something (parts may hold pauses) | reply after the end, not in a pause |
 * | interrupt   | talks over the system                  | stop inside it, then reply   |
 * | backchannel | "uh-huh" over the system               | keep talking (or resume)     |
 * | noise       | a noise burst or cough                 | neither stop nor reply       |
 * | distractor  | someone else talks (TV, bystander)     | neither stop nor reply       |
 *
 * Whether a stimulus landed while the system spoke is decided afterwards,
 * from the recording, not from the script.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

export const SCENARIO_FORMAT_VERSION = 1;

/**
 * Events a step can wait for. `output.start[:kind]` and `vad.*` are server
 * events; `system.audio` is the first audible frame of system output at the
 * caller (energy-based, so it works for any server that speaks).
 */
export const TRIGGER_EVENTS = [
  'session.ready',
  'output.start',
  'output.start:greeting',
  'output.start:reply',
  'system.audio',
  'vad.speech_start',
  'vad.speech_end',
] as const;
export const TriggerEvent = z.enum(TRIGGER_EVENTS);
export type TriggerEvent = z.infer<typeof TriggerEvent>;

export const SendAfter = z.strictObject({
  event: TriggerEvent,
  /** Delay after the event, ms. */
  delay_ms: z.number().nonnegative(),
  /**
   * Give up waiting after this long (ms from when the step became due); the
   * step is then skipped and logged as such. Default 8000.
   */
  timeout_ms: z.number().positive().optional(),
});
export type SendAfter = z.infer<typeof SendAfter>;

/**
 * A caller voice. `<engine>:<voice>` for synthesized speech (see
 * fixtures/synth.ts), or `libri:<speaker>` for a real LibriSpeech test-other
 * speaker (read speech from ../shared/data; text unknown).
 */
export const Voice = z
  .string()
  .regex(
    /^(flite|espeak-ng|festival):[A-Za-z0-9_+-]+$|^libri:\d+$/,
    'voice must be <engine>:<name> or libri:<speaker>',
  );

export const SpeechPart = z.union([
  z.strictObject({ text: z.string().min(1) }),
  /** A mid-turn pause, ms (the caller holds the floor: the system should wait). */
  z.strictObject({ pause_ms: z.number().positive() }),
]);
export type SpeechPart = z.infer<typeof SpeechPart>;

/** A non-speech sound. */
export const Sound = z.strictObject({
  /**
   * `white`, `pink`, `brown` (seeded, generated), `cough` (synthetic burst
   * pair), or `file:<name>` for a recording in ../shared/data/noise/speech-commands
   * (e.g. `file:running_tap`; falls back to pink noise when absent).
   */
  source: z.string().regex(/^(white|pink|brown|cough|file:[a-z_]+)$/),
  duration_ms: z.number().positive().optional(),
  /** RMS level in dBFS. Default -30. */
  level_dbfs: z.number().max(0).optional(),
});
export type Sound = z.infer<typeof Sound>;

export const StepKind = z.enum(['inquiry', 'interrupt', 'backchannel', 'noise', 'distractor']);
export type StepKind = z.infer<typeof StepKind>;

export const Step = z
  .strictObject({
    kind: StepKind,
    /** Optional label shown in the report. */
    id: z.string().optional(),
    /** What the caller says (speech kinds); or use `parts` for pauses. */
    text: z.string().min(1).optional(),
    parts: z.array(SpeechPart).min(1).optional(),
    /** Overrides the conversation's voice (distractors always name theirs). */
    voice: Voice.optional(),
    /** noise: the sound to play. */
    sound: Sound.optional(),
    /** distractor: level relative to the primary caller's speech, dB. Default -6. */
    level_db: z.number().optional(),
    /** Start this long after the previous step ended (or after session.ready for the first step), ms. */
    gap_ms: z.number().nonnegative().optional(),
    send_after: SendAfter.optional(),
  })
  .superRefine((s, ctx) => {
    const speech = s.kind !== 'noise';
    if ((s.gap_ms === undefined) === (s.send_after === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'a step needs exactly one of gap_ms and send_after' });
    }
    if (speech && !s.text && !s.parts && !s.voice?.startsWith('libri:')) {
      ctx.addIssue({ code: 'custom', message: `${s.kind} needs text or parts (or a libri: voice)` });
    }
    if (s.text && s.parts) ctx.addIssue({ code: 'custom', message: 'use text or parts, not both' });
    if (s.kind === 'noise' && !s.sound) ctx.addIssue({ code: 'custom', message: 'noise needs sound' });
    if (s.kind !== 'noise' && s.sound)
      ctx.addIssue({ code: 'custom', message: 'only noise steps take sound' });
    if (s.kind === 'distractor' && !s.voice)
      ctx.addIssue({ code: 'custom', message: 'distractor needs its own voice' });
    if (s.parts && s.kind !== 'inquiry')
      ctx.addIssue({ code: 'custom', message: 'only inquiries have parts (pauses)' });
  });
export type Step = z.infer<typeof Step>;

export const Difficulty = z.enum(['easy', 'medium', 'hard']);
export type Difficulty = z.infer<typeof Difficulty>;

/** FD-Bench's silences between inquiries per difficulty, ms. */
export const GAP_RANGES_MS: Record<Difficulty, readonly [number, number]> = {
  easy: [6000, 10000],
  medium: [4000, 6000],
  hard: [2000, 4000],
};

export const Background = z.strictObject({
  /** Same sources as Sound. */
  source: z.string().regex(/^(white|pink|brown|file:[a-z_]+)$/),
  /** Against the primary caller's active speech level, dB. */
  snr_db: z.number(),
});
export type Background = z.infer<typeof Background>;

export const Conversation = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9_.-]+$/),
  description: z.string().optional(),
  difficulty: Difficulty.optional(),
  /** Primary caller's voice. */
  voice: Voice,
  /** Active speech level of the primary caller, dBFS. Default -23. */
  level_dbfs: z.number().max(0).optional(),
  background: Background.optional(),
  /** Ask the server for its greeting (default true). */
  greeting: z.boolean().optional(),
  /** Seed for generated noise. Default: derived from the id. */
  seed: z.number().int().optional(),
  steps: z.array(Step).min(1),
  /** Keep listening after the last step, ms. Default 4000. */
  tail_ms: z.number().nonnegative().optional(),
});
export type Conversation = z.infer<typeof Conversation>;

export const Suite = z.strictObject({
  format: z.literal(SCENARIO_FORMAT_VERSION),
  name: z.string(),
  description: z.string().optional(),
  conversations: z.array(Conversation).min(1),
});
export type Suite = z.infer<typeof Suite>;

export const DEFAULT_TIMEOUT_MS = 8000;
export const DEFAULT_TAIL_MS = 4000;
export const DEFAULT_CALLER_DBFS = -23;
export const DEFAULT_DISTRACTOR_DB = -6;
export const DEFAULT_SOUND_DBFS = -30;

/** Parses YAML or JSON text (JSON is YAML) and validates it; throws with every issue listed. */
export function parseSuite(text: string, origin = 'suite'): Suite {
  const raw: unknown = parseYaml(text);
  const result = Suite.safeParse(raw);
  if (!result.success) {
    const issues = result.error.issues
      .map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`)
      .join('\n');
    throw new Error(`${origin}: invalid scenario file\n${issues}`);
  }
  const ids = new Set<string>();
  for (const c of result.data.conversations) {
    if (ids.has(c.id)) throw new Error(`${origin}: duplicate conversation id ${c.id}`);
    ids.add(c.id);
  }
  return result.data;
}

export function loadSuite(path: string): Suite {
  return parseSuite(readFileSync(path, 'utf8'), path);
}

/** The words a speech step says, for the report (pauses shown as "…"). */
export function stepText(step: Step): string {
  if (step.parts) return step.parts.map((p) => ('text' in p ? p.text : '…')).join(' ');
  return step.text ?? (step.sound ? step.sound.source : (step.voice ?? ''));
}

/** A stable 32-bit seed from a string (FNV-1a). */
export function seedFromString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
