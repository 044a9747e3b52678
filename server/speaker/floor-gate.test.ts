/**
 * The floor gate with scripted VAD events and a fake encoder whose "voice" is the amplitude of
 * the audio: a frame filled with `c` embeds at angle c * pi, so the caller (0.1) and another
 * voice (0.9) point almost opposite ways, and a window mixing both lands in between.
 */
import { describe, expect, it } from 'vitest';
import type { VadEvent } from '../turn-taking/vad-processor.ts';
import { FloorGate, type GateDecision, SpeakerGateOptions, thresholdAt } from './floor-gate.ts';
import type { SpeakerEncoder } from './speaker-gate.ts';

const FRAME = 512; // 32 ms at 16 kHz
const CALLER = 0.1;
const OTHER = 0.9;

const fakeEncoder = (fail = false): SpeakerEncoder & { calls: number } => ({
  label: 'fake',
  dimension: 2,
  calls: 0,
  embed(samples) {
    this.calls++;
    if (fail) return Promise.reject(new Error('encoder broke'));
    const c = samples.reduce((a, b) => a + b, 0) / samples.length;
    return Promise.resolve({
      vector: Float32Array.of(Math.cos(c * Math.PI), Math.sin(c * Math.PI)),
      speechMs: (samples.length / 16000) * 1000,
    });
  },
});

/** Drives a gate frame by frame: `speak(voice, ms)` is one VAD stretch, `silence(ms)` a gap. */
function harness(options: Partial<SpeakerGateOptions> = {}, encoder = fakeEncoder()) {
  const decisions: GateDecision[] = [];
  const errors: unknown[] = [];
  const gate = new FloorGate(
    encoder,
    SpeakerGateOptions.parse({ mode: 'verify', ...options }),
    (d) => decisions.push(d),
    (e) => errors.push(e),
  );
  let atMs = 0;
  const step = async (value: number, events: VadEvent[], playing: boolean) => {
    atMs += 32;
    gate.frame(new Float32Array(FRAME).fill(value), events, atMs, playing);
    await gate.idle();
  };
  return {
    gate,
    decisions,
    errors,
    encoder,
    /** One VAD stretch of `voice` for `ms`, or of several voices in turn ([voice, ms] pairs). */
    async speak(voice: number | [number, number][], ms = 0, { playing = false } = {}) {
      const parts = typeof voice === 'number' ? [[voice, ms] as [number, number]] : voice;
      const startMs = atMs;
      let i = 0;
      for (const [v, partMs] of parts) {
        for (let f = 0; f < Math.round(partMs / 32); f++, i++) {
          const events: VadEvent[] =
            i === 1 ? [{ type: 'speech_start', startMs, confirmedMs: atMs + 32 }] : [];
          await step(v, events, playing);
        }
      }
      await step(0, [{ type: 'speech_end', startMs, endMs: atMs, confirmedMs: atMs + 32 }], playing);
    },
    async silence(ms: number) {
      for (let i = 0; i < Math.round(ms / 32); i++) await step(0, [], false);
    },
    types: () => decisions.map((d) => d.type),
  };
}

describe('floor gate', () => {
  it("mode 'off': every stretch takes the floor at once, and no voiceprint is made", async () => {
    const h = harness({ mode: 'off' });
    await h.speak(CALLER, 4000);
    await h.speak(OTHER, 1000);
    expect(h.types()).toEqual(['primary', 'primary']);
    expect(h.decisions.every((d) => d.type !== 'primary' || d.score === null)).toBe(true);
    expect(h.gate.enrolled).toBeNull();
  });

  it('until a voiceprint exists every voice counts; the caller is enrolled from 3 s of speech heard in silence', async () => {
    const h = harness();
    await h.speak(CALLER, 1600);
    await h.silence(300);
    expect(h.gate.enrolled).toBeNull();
    await h.speak(CALLER, 1600);
    expect(h.types()).toEqual(['primary', 'primary', 'enrolled']);
    expect(h.decisions[2]).toMatchObject({ type: 'enrolled', source: 'auto' });
    expect((h.decisions[2] as { speechMs: number }).speechMs).toBeGreaterThanOrEqual(3000);
  });

  it('does not enroll from speech over its own output (echo) or from short stretches (a cough)', async () => {
    const h = harness();
    await h.speak(CALLER, 4000, { playing: true });
    for (let i = 0; i < 6; i++) await h.speak(CALLER, 500);
    expect(h.gate.enrolled).toBeNull();
  });

  it('once enrolled: the caller takes the floor after the first decision window, another voice never', async () => {
    const h = harness();
    await h.speak(CALLER, 3200);
    h.decisions.length = 0;
    await h.speak(OTHER, 1500, { playing: true });
    await h.speak(CALLER, 1000, { playing: true });
    expect(h.types()).toEqual(['other', 'primary']);
    const primary = h.decisions[1] as Extract<GateDecision, { type: 'primary' }>;
    expect(primary.score).toBeGreaterThan(0.8);
    // Decided on the frame where 250 ms of speech had been heard, not at the stretch's end.
    expect(primary.atMs - primary.startMs).toBeGreaterThanOrEqual(250);
    expect(primary.atMs - primary.startMs).toBeLessThan(400);
  });

  it('keeps scoring a stretch that started with another voice, on a window of the latest speech', async () => {
    const h = harness({ windowMs: 320 });
    await h.speak(CALLER, 3200);
    h.decisions.length = 0;
    // One VAD stretch: the TV for 0.6 s, then the caller talks on without a pause.
    await h.speak(
      [
        [OTHER, 600],
        [CALLER, 1000],
      ],
      0,
      { playing: true },
    );
    expect(h.types()).toEqual(['primary']);
    const primary = h.decisions[0] as Extract<GateDecision, { type: 'primary' }>;
    expect(primary.atMs - primary.startMs).toBeGreaterThan(600);
  });

  it('an explicit voiceprint replaces the automatic one', async () => {
    const h = harness();
    await h.speak(CALLER, 3200);
    h.gate.enroll(
      { vector: Float32Array.of(Math.cos(OTHER * Math.PI), Math.sin(OTHER * Math.PI)), speechMs: 5000 },
      9000,
    );
    h.decisions.length = 0;
    await h.speak(OTHER, 800, { playing: true });
    await h.speak(CALLER, 800, { playing: true });
    expect(h.types()).toEqual(['primary', 'other']);
  });

  it('a failing encoder is reported and the gate goes on (the stretch is never accepted)', async () => {
    const h = harness({}, fakeEncoder(true));
    await h.speak(CALLER, 1000);
    expect(h.types()).toEqual(['primary']);
    expect(h.errors).toEqual([]);
    h.gate.enroll({ vector: Float32Array.of(1, 0), speechMs: 3000 }, 2000);
    await h.speak(CALLER, 600);
    expect(h.errors.length).toBeGreaterThan(0);
    expect(h.types()).toEqual(['primary', 'enrolled']);
  });

  it("follows the encoder's threshold curve by stretch length unless one threshold is fixed", () => {
    const curve = [
      { speech_ms: 500, cosine: 0.1 },
      { speech_ms: 1000, cosine: 0.2 },
      { speech_ms: 2000, cosine: 0.4 },
    ];
    expect(thresholdAt(curve, 250)).toBe(0.1);
    expect(thresholdAt(curve, 750)).toBeCloseTo(0.15, 10);
    expect(thresholdAt(curve, 1500)).toBeCloseTo(0.3, 10);
    expect(thresholdAt(curve, 9000)).toBe(0.4);
    const withCurve = { ...fakeEncoder(), thresholds: curve };
    const options = SpeakerGateOptions.parse({ mode: 'verify', acceptMargin: 0 });
    expect(new FloorGate(withCurve, options, () => {}).acceptAt(1500)).toBeCloseTo(0.3, 10);
    expect(new FloorGate(withCurve, { ...options, acceptCosine: 0.5 }, () => {}).acceptAt(1500)).toBe(0.5);
    expect(new FloorGate(fakeEncoder(), options, () => {}).acceptAt(1500)).toBe(0.3);
    expect(new FloorGate(withCurve, { ...options, acceptMargin: 0.1 }, () => {}).acceptAt(1500)).toBeCloseTo(
      0.4,
      10,
    );
  });
});
