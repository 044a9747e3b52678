/**
 * The linear echo stage on banter's own voice through simulated echo paths (fixtures/echo.ts):
 * the delay is found, the echo is cancelled, and the caller talking over it survives.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { applyEchoPath, ECHO_CONDITIONS, LINEAR_PATH, roomImpulse } from '../../fixtures/echo.ts';
import { power } from '../../fixtures/signal.ts';
import { engineAvailable, utter } from '../../fixtures/synth.ts';
import { DelayEstimator } from './delay-estimator.ts';
import { createEchoCanceller, processWhole } from './echo-canceller.ts';
import { Fdaf } from './fdaf.ts';
import { ResidualGate } from './residual-gate.ts';

const SR = 16000;
const flite = engineAvailable('flite');
if (!flite) console.warn('echo.test: flite missing (apt-get install flite): skipped');

const db = (a: number, b: number) => 10 * Math.log10(a / b);

/** Runs a stream over whole signals in 32 ms frames (Silero's), as the session would. */
const run = processWhole;

describe.skipIf(!flite)('echo cancellation on banter voice', () => {
  let ref: Float32Array;
  let caller: Float32Array;
  beforeAll(async () => {
    const parts = await Promise.all(
      [
        'Sure, I can help you book a table for two at seven tonight.',
        'The pharmacy opens at nine in the morning on Sunday, and closes at six.',
        'Your reservation is confirmed. Is there anything else I can do for you?',
      ].map((t) => utter(t, 'flite:slt', { levelDbfs: -20 })),
    );
    ref = new Float32Array(parts.reduce((n, p) => n + p.samples.length, 0));
    let o = 0;
    for (const p of parts) {
      ref.set(p.samples, o);
      o += p.samples.length;
    }
    caller = (await utter('Wait, that is not what I asked for.', 'flite:rms', { levelDbfs: -26 })).samples;
  });

  it('finds the echo delay of every condition to within a millisecond', async () => {
    for (const [name, c] of Object.entries(ECHO_CONDITIONS)) {
      const mic = await applyEchoPath(ref, { ...c, seed: 5 });
      const est = new DelayEstimator();
      for (let i = 0; i + 512 <= ref.length; i += 512)
        est.push(ref.subarray(i, i + 512), mic.subarray(i, i + 512));
      expect(est.estimate, name).not.toBeNull();
      expect(Math.abs(est.estimate!.delayMs - c.delayMs), name).toBeLessThanOrEqual(1);
    }
  });

  it('says nothing while banter is silent, and follows a path that changes', async () => {
    const est = new DelayEstimator();
    const silence = new Float32Array(SR * 2);
    for (let i = 0; i + 512 <= silence.length; i += 512)
      est.push(silence.subarray(i, i + 512), silence.subarray(i, i + 512));
    expect(est.estimate).toBeNull();
    const a = await applyEchoPath(ref, { ...LINEAR_PATH, delayMs: 100 });
    const b = await applyEchoPath(ref, { ...LINEAR_PATH, delayMs: 220 });
    const half = Math.floor(ref.length / 2);
    const mic = new Float32Array(ref.length);
    mic.set(a.subarray(0, half));
    mic.set(b.subarray(half), half);
    const seen: number[] = [];
    for (let i = 0; i + 512 <= ref.length; i += 512) {
      const e = est.push(ref.subarray(i, i + 512), mic.subarray(i, i + 512));
      if (e) seen.push(Math.round(e.delayMs));
    }
    expect(seen[0]).toBe(100);
    expect(seen.at(-1)).toBe(220);
  });

  it('cancels a linear echo by 18 dB or more once converged, and passes the caller through', async () => {
    const echo = await applyEchoPath(ref, { ...ECHO_CONDITIONS['room-short'], seed: 2 });
    const mic = Float32Array.from(echo);
    const at = Math.floor(ref.length * 0.6);
    for (let i = 0; i < caller.length; i++) mic[at + i] += caller[i];
    const out = run(createEchoCanceller({ gate: false }).createStream(), mic, ref);
    // ERLE on the echo alone after 4 s, and after the double talk.
    expect(db(power(echo, 4 * SR, at), power(out, 4 * SR, at))).toBeGreaterThan(12);
    const end = at + caller.length;
    expect(db(power(echo, end, mic.length), power(out, end, mic.length))).toBeGreaterThan(18);
    // The caller over banter: what is left of the mix is the caller, 12 dB or more above the residue.
    let err = 0;
    for (let i = 0; i < caller.length; i++) err += (out[at + i] - caller[i]) ** 2;
    expect(db(power(caller) * caller.length, err)).toBeGreaterThan(12);
    // The residual gate after it takes the echo alone down much further.
    const gated = run(createEchoCanceller().createStream(), mic, ref);
    expect(db(power(echo, end, mic.length), power(gated, end, mic.length))).toBeGreaterThan(28);
  });

  it('leaves the microphone untouched while there is nothing to cancel', () => {
    const f = new Fdaf();
    const mic = Float32Array.from({ length: 256 }, (_, i) => Math.sin(i / 7) * 0.1);
    const out = f.process(new Float32Array(256), mic);
    for (let i = 0; i < 256; i++) expect(out[i]).toBeCloseTo(mic[i], 6);
  });

  it('keeps frames whole and in time when they are not whole blocks', () => {
    const s = createEchoCanceller().createStream();
    const mic = Float32Array.from({ length: 480 * 4 }, (_, i) => Math.sin(i / 5) * 0.1);
    const out = run(s, mic, new Float32Array(mic.length), 480);
    // A constant latency of one block (256 samples), nothing lost.
    for (let i = 0; i < mic.length - 256; i++) expect(out[i + 256]).toBeCloseTo(mic[i], 6);
  });

  it('builds room responses that decay to -60 dB at RT60', () => {
    const h = roomImpulse(200, 1);
    const early = power(h, 100, 400);
    const late = power(h, 3100, 3200);
    expect(db(early, late)).toBeGreaterThan(40);
    expect(h[0]).toBe(1);
  });
});

describe('the residual-echo gate', () => {
  const block = (level: number, seed: number) => {
    let a = seed >>> 0;
    return Float32Array.from({ length: 256 }, () => {
      a = (a * 1664525 + 1013904223) >>> 0;
      return level * ((a / 2 ** 32) * 2 - 1);
    });
  };

  it('mutes a residue at the echo level it has learned, passes the caller above it, and opens when banter is silent', () => {
    const g = new ResidualGate();
    // Banter speaks; the residue holds at -30 dB of the reference for 2 s.
    for (let i = 0; i < 125; i++) g.apply(block(0.01, i), block(0.3, 1000 + i));
    expect(g.apply(block(0.01, 7), block(0.3, 7))).toBe(0);
    // The caller over banter, 20 dB above the residue: passed (most of its power kept).
    expect(g.apply(block(0.1, 8), block(0.3, 8))).toBeGreaterThan(0.8);
    // Banter falls silent: after the echo tail the gate opens whatever the level.
    const quiet = new Float32Array(256);
    for (let i = 0; i < g.o.tailBlocks + 1; i++) g.apply(block(0.001, 50 + i), quiet);
    expect(g.apply(block(0.001, 99), quiet)).toBe(1);
  });
});
