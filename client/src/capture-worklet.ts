/**
 * Microphone -> PCM16 frames of `frameMs` at the AudioContext rate, posted to
 * the main thread. The context runs at a rate the server accepts; the browser
 * itself resamples between the device and the context.
 */
import { Framer } from '../../server/audio/framer.ts';
import { floatToPcm16 } from '../../server/audio/pcm.ts';
import type { CaptureFrame, CaptureOptions } from './worklet-messages.ts';
import { worklet } from './worklet-scope.ts';

class CaptureProcessor extends worklet.AudioWorkletProcessor {
  private readonly framer: Framer;

  constructor(options: AudioWorkletNodeOptions) {
    super(options);
    const { frameMs } = options.processorOptions as CaptureOptions;
    this.framer = new Framer((worklet.sampleRate * frameMs) / 1000);
  }

  process(inputs: Float32Array[][]): boolean {
    // Channel 0 only: the track is requested mono. No input yet means the mic has not started.
    const samples = inputs[0]?.[0];
    if (!samples) return true;
    for (const frame of this.framer.push(samples)) {
      const pcm = floatToPcm16(frame).buffer as ArrayBuffer;
      const message: CaptureFrame = { type: 'frame', pcm };
      this.port.postMessage(message, [pcm]);
    }
    return true;
  }
}

worklet.registerProcessor('banter-capture', CaptureProcessor);
