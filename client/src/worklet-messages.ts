/** Messages between the main thread and the two AudioWorklets (types only: no runtime code). */

/** The capture processor's `processorOptions`; frames are at the AudioContext rate. */
export interface CaptureOptions {
  /** Duration of each frame, ms. */
  frameMs: number;
}

/** Capture -> main: one PCM16 little-endian frame of `frameMs`. */
export interface CaptureFrame {
  type: 'frame';
  pcm: ArrayBuffer;
}

/** Main -> playback. */
export type PlaybackCommand =
  /** One server frame; `startMs` is its place on the output stream axis. */
  | { type: 'audio'; pcm: ArrayBuffer; startMs: number; durationMs: number }
  /** audio.clear: drop everything not yet played. */
  | { type: 'clear' };

/** Playback -> main. */
export type PlaybackReport =
  /** Every ~100 ms while playing, and once when the queue runs dry. */
  | { type: 'position'; positionMs: number; playing: boolean; framesPlayed: number }
  /** Answer to `clear`: where playback stopped and what was dropped. */
  | { type: 'cleared'; positionMs: number; framesDropped: number; droppedMs: number; framesPlayed: number };
