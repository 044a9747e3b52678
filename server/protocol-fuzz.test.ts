/**
 * The protocol fuzzer in CI: thousands of seeded adversarial frames over many real WebSocket
 * connections to a real server (real Silero), while a healthy reference session streams real
 * speech beside them and must get exactly the VAD events and marker order it gets alone.
 * `npm run fuzz` runs a longer one against any server.
 */
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from './app.ts';
import { readWav } from './audio/wav.ts';
import { referenceSession, runFuzz } from './testing/protocol-fuzz.ts';

let server: RunningServer;
beforeAll(async () => {
  server = await startServer({
    port: 0,
    logger: pino({ level: 'silent' }),
    // A budget no fuzz connection spends, so every script reaches its last frame and the codes
    // the run must reach do not depend on how fast the machine sends (with a budget that refills
    // in time, a slow run kept connections alive that a fast one closed early with 1008, and
    // their closing frames, 1007 among them, never came). The budget has its own tests.
    limits: { errorBudget: { burst: 100_000, perSecond: 0 } },
  });
});
afterAll(async () => {
  await server?.close();
});

const speech = readWav(new URL('../fixtures/audio/speech_rms.wav', import.meta.url).pathname);

describe('protocol fuzzer', () => {
  it('10,000+ adversarial frames over 160 connections: every reply coded, no crash, no hang, the reference session untouched', async () => {
    const alone = await referenceSession(server.url, speech.samples, speech.sampleRate);
    expect(alone.errors).toEqual([]);
    expect(alone.speechStarts).toBeGreaterThan(0);

    const [fuzz, beside] = await Promise.all([
      runFuzz({
        url: server.url,
        seed: 20261202,
        connections: 160,
        length: 100,
        concurrency: 12,
        sizes: {
          maxControlBytes: server.config.limits.maxControlBytes,
          maxPayloadBytes: server.config.maxPayloadBytes,
        },
      }),
      referenceSession(server.url, speech.samples, speech.sampleRate),
    ]);
    expect(fuzz.violations).toEqual([]);
    expect(fuzz.sent).toBeGreaterThanOrEqual(10_000);
    // The run reached the paths it is meant to: each of these codes came back at least once.
    for (const code of [
      'bad_json',
      'unknown_type',
      'invalid_message',
      'control_too_large',
      'not_started',
      'bad_audio',
    ]) {
      expect(fuzz.errorsByCode[code], code).toBeGreaterThan(0);
    }
    expect(Object.keys(fuzz.closeCodes).sort()).toEqual(expect.arrayContaining(['1000', '1007', '1009']));
    expect(beside.seen).toEqual(alone.seen);

    const health = await (await fetch(`http://127.0.0.1:${server.port}/health`)).json();
    expect(health.status).toBe('ok');
  }, 120_000);
});
