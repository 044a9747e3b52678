/**
 * Who holds the floor, between the VAD, the speaker gate and the dialogue. Without a gate
 * every voice the VAD hears is the caller's: the dialogue hears of each stretch at once and
 * it may barge in at once. With a gate (server/speaker/floor-gate.ts), a stretch may barge in
 * only once the gate has accepted it; over banter's audio the dialogue hears of it only then
 * too; and the final transcript of a stretch judged another voice's is not the caller's turn.
 */
import type { Transcript } from '../asr/recognizer.ts';
import type { GateDecision } from '../speaker/floor-gate.ts';
import type { VadEvent } from '../turn-taking/vad-processor.ts';

export interface FloorPorts {
  /** The dialogue: the caller started or stopped speaking. */
  speechStarted(): void;
  speechEnded(): void;
  /** The speech that began at `startMs` may take the floor (the controller's `primary_speech`). */
  primary(startMs: number, score: number | null): void;
}

/** Stretches judged another voice's that are remembered for their transcripts. */
const REMEMBERED = 8;

export class Floor {
  /**
   * With a gate: the stretch now open (or ended, awaiting its verdict), whether the dialogue
   * heard of it, and whether the gate accepted it yet.
   */
  private open: { startMs: number; endMs: number | null; told: boolean; accepted: boolean } | null = null;
  private readonly others: { startMs: number; endMs: number }[] = [];

  constructor(
    /** Whether a speaker gate decides (false: every voice counts). */
    private readonly gated: boolean,
    private readonly ports: FloorPorts,
  ) {}

  /**
   * One of the VAD's events, before the gate sees it. `outputPlaying`: banter is on the air.
   * While banter is silent the dialogue hears of any speech at once (it waits while anyone
   * talks, and the caller's own speech after a pause must not wait for the gate's verdict);
   * over banter's audio only once the gate accepts it.
   */
  vad(e: VadEvent, outputPlaying: boolean): void {
    if (!this.gated) {
      if (e.type === 'speech_start') {
        this.ports.speechStarted();
        this.ports.primary(e.startMs, null);
      } else this.ports.speechEnded();
      return;
    }
    if (e.type === 'speech_start') {
      this.open = { startMs: e.startMs, endMs: null, told: !outputPlaying, accepted: false };
      if (!outputPlaying) this.ports.speechStarted();
      return;
    }
    const f = this.open;
    if (!f) return;
    f.endMs = e.endMs;
    if (f.told) this.ports.speechEnded();
    if (f.accepted) this.open = null; // else its verdict comes with the gate's last score
  }

  /** The gate's verdict on a stretch. */
  decided(d: Exclude<GateDecision, { type: 'enrolled' }>): void {
    const f = this.open?.startMs === d.startMs ? this.open : null;
    if (d.type === 'other') {
      if (f) this.others.push({ startMs: f.startMs, endMs: f.endMs ?? d.atMs });
      if (this.others.length > REMEMBERED) this.others.shift();
      this.open = null;
      return;
    }
    if (f) {
      f.accepted = true;
      if (!f.told) {
        f.told = true;
        this.ports.speechStarted();
        if (f.endMs !== null) this.ports.speechEnded();
      }
      if (f.endMs !== null) this.open = null;
    }
    this.ports.primary(d.startMs, d.score);
  }

  /** True for the final transcript of a stretch the gate judged another voice's (consumed once). */
  fromOtherVoice(t: Transcript): boolean {
    if (t.kind !== 'final') return false;
    const i = this.others.findIndex((o) => {
      const overlap = Math.min(o.endMs, t.endMs) - Math.max(o.startMs, t.startMs);
      return overlap >= 0.5 * (o.endMs - o.startMs);
    });
    if (i < 0) return false;
    this.others.splice(i, 1);
    return true;
  }
}
