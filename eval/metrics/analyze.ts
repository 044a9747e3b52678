/**
 * Turns a recorded conversation (two time-aligned channels plus the caller's
 * log and the server's events) into a Timeline: Silero VAD times the speech
 * on both channels, as FD-Bench does, and pocketsphinx transcribes the
 * system's speech.
 */
import type { SileroModel } from '../../server/turn-taking/silero.ts';
import { detectSpeechSegments } from '../../server/turn-taking/vad-offline.ts';
import type { PlacedStep, SkippedStep } from '../caller/caller.ts';
import type { Interval } from '../caller/prepare.ts';
import type { RecordedEvent } from '../runner/client.ts';
import { transcribeSegments, type Word } from './asr.ts';
import type { ServerEventMark, Timeline } from './timeline.ts';

export interface RecordedConversation {
  id: string;
  description?: string;
  difficulty?: string;
  voice?: string;
  background?: string;
  sampleRate: number;
  caller: Float32Array;
  system: Float32Array;
  stimuli: PlacedStep[];
  skipped: SkippedStep[];
  events: RecordedEvent[];
  notes: string[];
  error?: string;
  recording?: string;
}

export interface AnalyzeOptions {
  vad: SileroModel;
  /** Transcribe the system side with pocketsphinx (false when it is not installed). */
  asr: boolean;
}

export function eventMarks(events: RecordedEvent[]): ServerEventMark[] {
  const out: ServerEventMark[] = [];
  for (const { atMs, msg } of events) {
    if (!('t_ms' in msg)) continue;
    // turn.event marks are named by their event (turn.end_of_turn, ...): the stages table reads them.
    const type = msg.type === 'turn.event' ? `turn.${msg.event}` : msg.type;
    const mark: ServerEventMark = { type, tMs: msg.t_ms, atMs };
    if (msg.type === 'vad.speech_end') mark.startMs = msg.start_ms;
    if (msg.type === 'output.start') mark.kind = msg.kind;
    if (msg.type === 'output.end') mark.reason = msg.reason;
    out.push(mark);
  }
  return out;
}

/** Energy floor of the clean system channel for edge refinement, dBFS. */
const EDGE_FLOOR_DBFS = -55;
const EDGE_FRAME_MS = 10;
/** How far an edge may move against Silero's: 500 ms back, 300 ms forward (in 10 ms frames). */
const EDGE_BACK_FRAMES = 50;
const EDGE_FORWARD_FRAMES = 30;

/**
 * Moves Silero's segment edges to the 10 ms energy envelope. The system
 * channel is exactly what was played (no noise), so its energy edge is
 * exact, while Silero's probability lags a cut-off word by 30-100 ms and
 * would inflate every stop latency by that much.
 */
export function refineEdges(segments: Interval[], samples: Float32Array, sampleRate: number): Interval[] {
  const frame = Math.round((sampleRate * EDGE_FRAME_MS) / 1000);
  const frames = Math.ceil(samples.length / frame);
  const threshold = 10 ** (EDGE_FLOOR_DBFS / 20);
  const loud = new Uint8Array(frames);
  for (let f = 0; f < frames; f++) {
    let sum = 0;
    const a = f * frame;
    const b = Math.min(samples.length, a + frame);
    for (let i = a; i < b; i++) sum += samples[i] * samples[i];
    loud[f] = Math.sqrt(sum / Math.max(1, b - a)) > threshold ? 1 : 0;
  }
  const toFrame = (ms: number) => Math.max(0, Math.min(frames - 1, Math.floor(ms / EDGE_FRAME_MS)));
  return segments.map((s) => {
    // Start: back over loud frames Silero caught late (a soft first word, bridging word gaps up to 100 ms),
    // else forward to the first loud frame.
    let a = toFrame(s.startMs);
    if (loud[a]) a = extend(loud, a, -1, EDGE_BACK_FRAMES);
    else {
      const limit = Math.min(frames - 1, a + EDGE_FORWARD_FRAMES);
      while (a < limit && !loud[a]) a++;
      if (!loud[a]) a = toFrame(s.startMs);
    }
    // End: Silero's end is the first quiet frame; back to the last loud one, or on over loud frames it missed.
    let b = Math.max(0, toFrame(s.endMs) - 1);
    if (loud[b]) b = extend(loud, b, +1, EDGE_FORWARD_FRAMES);
    else {
      const limit = Math.max(0, b - EDGE_BACK_FRAMES);
      while (b > limit && !loud[b]) b--;
      if (!loud[b]) b = Math.max(0, toFrame(s.endMs) - 1);
    }
    const start = a * EDGE_FRAME_MS;
    const end = (b + 1) * EDGE_FRAME_MS;
    return end > start ? { startMs: start, endMs: end } : { startMs: s.startMs, endMs: s.endMs };
  });
}

/** The farthest loud frame from `from` in direction dir within maxFrames, crossing quiet runs of up to 10 frames. */
function extend(loud: Uint8Array, from: number, dir: 1 | -1, maxFrames: number): number {
  let best = from;
  let quiet = 0;
  for (let j = from + dir, k = 0; j >= 0 && j < loud.length && k < maxFrames; j += dir, k++) {
    if (loud[j]) {
      best = j;
      quiet = 0;
    } else if (++quiet > 10) break;
  }
  return best;
}

export async function analyzeConversation(
  rec: RecordedConversation,
  options: AnalyzeOptions,
): Promise<Timeline> {
  if (rec.sampleRate !== 16000) throw new Error(`analysis expects 16 kHz recordings, got ${rec.sampleRate}`);
  const system = refineEdges(await detectSpeechSegments(options.vad, rec.system), rec.system, rec.sampleRate);
  const callerVad = await detectSpeechSegments(options.vad, rec.caller);
  let words: Word[] | null = null;
  if (options.asr) words = await transcribeSegments(rec.system, rec.sampleRate, system);
  return {
    id: rec.id,
    ...(rec.description ? { description: rec.description } : {}),
    ...(rec.difficulty ? { difficulty: rec.difficulty } : {}),
    ...(rec.voice ? { voice: rec.voice } : {}),
    ...(rec.background ? { background: rec.background } : {}),
    durationMs: (rec.caller.length * 1000) / rec.sampleRate,
    stimuli: rec.stimuli,
    skipped: rec.skipped,
    system: system.map((s) => ({ startMs: s.startMs, endMs: s.endMs })),
    callerVad: callerVad.map((s) => ({ startMs: s.startMs, endMs: s.endMs })),
    words,
    events: eventMarks(rec.events),
    notes: rec.notes,
    ...(rec.error ? { error: rec.error } : {}),
    ...(rec.recording ? { recording: rec.recording } : {}),
  };
}
