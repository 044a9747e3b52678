/**
 * One session's voice-activity stage: caller audio at the pipeline rate -> 32 ms frames ->
 * Silero -> the pure frame processor -> speech start/end events. The frame is the session's
 * unit of time: `clockMs` (the session audio clock) advances by one frame per frame processed.
 */
import { Framer } from '../audio/framer.ts';
import { msForSamples } from '../audio/rates.ts';
import { SILERO_FRAME_SAMPLES, type SileroStream } from './silero.ts';
import { VadFrameProcessor, type VadEvent, type VadTuning } from './vad-processor.ts';

export interface FrameObserver {
  /** Called after each frame with the events it produced (often none), in order. */
  (events: VadEvent[], frame: Float32Array): void;
}

export class SpeechDetector {
  private readonly framer = new Framer(SILERO_FRAME_SAMPLES);
  private readonly vad: VadFrameProcessor;

  constructor(
    private readonly stream: SileroStream,
    tuning: VadTuning,
    /** Wall time of one model call, seconds (for the metrics histogram). */
    private readonly timed: (seconds: number) => void = () => {},
  ) {
    this.vad = new VadFrameProcessor({ ...tuning, frameMs: msForSamples(SILERO_FRAME_SAMPLES) });
  }

  /** Session audio clock: ms of caller audio through the VAD. */
  get clockMs(): number {
    return this.vad.clockMs;
  }

  /** Runs every whole frame this chunk completes; the remainder waits for the next chunk. */
  async push(samples: Float32Array, onFrame: FrameObserver): Promise<void> {
    for (const frame of this.framer.push(samples)) {
      const t0 = performance.now();
      const p = await this.stream.process(frame);
      this.timed((performance.now() - t0) / 1000);
      onFrame(this.vad.process(p, frame), frame);
    }
  }

  /** Ends an open utterance (the stream is over), so no speech start is left without its end. */
  flush(): VadEvent[] {
    return this.vad.flush();
  }
}
