/**
 * Plays server frames as they arrive, drops the rest on `clear`, and reports
 * the playback position on the output stream axis every ~100 ms while
 * playing, once when it runs dry, and right after each clear.
 */
import { pcm16ToFloat } from '../../server/audio/pcm.ts';
import { PlaybackQueue } from './playback-queue.ts';
import type { PlaybackCommand, PlaybackReport } from './worklet-messages.ts';
import { worklet } from './worklet-scope.ts';

/** How often the position is reported while playing, ms. */
const REPORT_INTERVAL_MS = 100;

class PlaybackProcessor extends worklet.AudioWorkletProcessor {
  private readonly queue = new PlaybackQueue();
  private readonly reportEvery = (worklet.sampleRate * REPORT_INTERVAL_MS) / 1000;
  private sinceReport = 0;
  private wasPlaying = false;

  constructor(options: AudioWorkletNodeOptions) {
    super(options);
    this.port.onmessage = (e: MessageEvent<PlaybackCommand>) => this.onCommand(e.data);
  }

  process(_inputs: Float32Array[][], outputs: Float32Array[][]): boolean {
    const out = outputs[0][0];
    this.queue.render(out);
    for (let ch = 1; ch < outputs[0].length; ch++) outputs[0][ch].set(out);
    const playing = this.queue.playing;
    if (playing || this.wasPlaying) {
      this.sinceReport += out.length;
      if (this.sinceReport >= this.reportEvery || !playing) this.reportPosition();
    }
    this.wasPlaying = playing;
    return true;
  }

  private onCommand(cmd: PlaybackCommand): void {
    switch (cmd.type) {
      case 'audio': {
        const samples = pcm16ToFloat(new Uint8Array(cmd.pcm));
        this.queue.push(samples, cmd.startMs, cmd.durationMs);
        return;
      }
      case 'clear': {
        const dropped = this.queue.clear();
        this.wasPlaying = false;
        this.sinceReport = 0;
        this.post({
          type: 'cleared',
          positionMs: this.queue.positionMs,
          framesDropped: dropped.frames,
          droppedMs: dropped.ms,
          framesPlayed: this.queue.framesPlayed,
        });
        return;
      }
    }
  }

  private reportPosition(): void {
    this.sinceReport = 0;
    const q = this.queue;
    this.post({
      type: 'position',
      positionMs: q.positionMs,
      playing: q.playing,
      framesPlayed: q.framesPlayed,
    });
  }

  private post(report: PlaybackReport): void {
    this.port.postMessage(report);
  }
}

worklet.registerProcessor('banter-playback', PlaybackProcessor);
