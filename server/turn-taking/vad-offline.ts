/**
 * Offline speech detection over a whole recording: the same model and frame
 * processor the live server uses, applied to a buffer. Used to score VAD
 * accuracy and, in the evaluation harness, to time both sides of a recording.
 */
import { SILERO_FRAME_SAMPLES, type SileroModel } from './silero.ts';
import { VadFrameProcessor, type VadOptions } from './vad-processor.ts';

export interface SpeechSegment {
  startMs: number;
  endMs: number;
}

/** Per-frame speech probabilities of 16 kHz audio (the tail shorter than a frame is zero-padded). */
export async function frameProbabilities(
  model: SileroModel,
  samples16k: Float32Array,
): Promise<Float32Array> {
  const stream = model.createStream();
  const frames = Math.ceil(samples16k.length / SILERO_FRAME_SAMPLES);
  const probs = new Float32Array(frames);
  const frame = new Float32Array(SILERO_FRAME_SAMPLES);
  for (let i = 0; i < frames; i++) {
    frame.fill(0);
    frame.set(samples16k.subarray(i * SILERO_FRAME_SAMPLES, (i + 1) * SILERO_FRAME_SAMPLES));
    probs[i] = await stream.process(frame);
  }
  return probs;
}

/** Speech segments from per-frame probabilities, through the live frame processor. */
export function segmentsFromProbabilities(
  probs: ArrayLike<number>,
  options: Partial<VadOptions> = {},
): SpeechSegment[] {
  const vad = new VadFrameProcessor(options);
  const segments: SpeechSegment[] = [];
  const collect = (events: ReturnType<VadFrameProcessor['process']>) => {
    for (const e of events)
      if (e.type === 'speech_end') segments.push({ startMs: e.startMs, endMs: e.endMs });
  };
  for (let i = 0; i < probs.length; i++) collect(vad.process(probs[i]));
  collect(vad.flush());
  return segments;
}

export async function detectSpeechSegments(
  model: SileroModel,
  samples16k: Float32Array,
  options: Partial<VadOptions> = {},
): Promise<SpeechSegment[]> {
  return segmentsFromProbabilities(await frameProbabilities(model, samples16k), options);
}

/**
 * Frame-level precision, recall and F1 of detected segments against ground
 * truth, on a grid of `stepMs` over `durationMs`.
 */
export function frameF1(
  truth: SpeechSegment[],
  detected: SpeechSegment[],
  durationMs: number,
  stepMs = 10,
): { precision: number; recall: number; f1: number } {
  const inside = (segs: SpeechSegment[], t: number) => segs.some((s) => t >= s.startMs && t < s.endMs);
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (let t = stepMs / 2; t < durationMs; t += stepMs) {
    const a = inside(truth, t);
    const b = inside(detected, t);
    if (a && b) tp++;
    else if (b) fp++;
    else if (a) fn++;
  }
  const precision = tp + fp === 0 ? 1 : tp / (tp + fp);
  const recall = tp + fn === 0 ? 1 : tp / (tp + fn);
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { precision, recall, f1 };
}
