/**
 * The speaker gate over a real WebSocket, with the real Silero VAD and banter's speaker encoder
 * (models/speaker), on the project's audio fixtures: the caller (flite rms) enrolls with an
 * enrollment recording, then banter's greeting plays; another voice (espeak-ng en-gb-scotland,
 * never trained on) and a noise burst over it produce no audio.clear, the caller's own "Wait,
 * stop, I have a question." does. Audio is streamed faster than real time (clock: audio).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from './app.ts';
import { floatToPcm16 } from './audio/pcm.ts';
import { readWav, writeWav } from './audio/wav.ts';
import { chunkPcm16, StreamClient } from './testing/stream-client.ts';

const fixture = (name: string) =>
  readWav(new URL(`../fixtures/audio/${name}.wav`, import.meta.url).pathname).samples;
const span = (x: Float32Array, fromS: number, toS: number) =>
  x.subarray(Math.round(fromS * 16000), Math.round(toS * 16000));
const frames = (x: Float32Array) => chunkPcm16(floatToPcm16(x), 16000, 20);
const silence = (s: number) =>
  new Float32Array(Math.round(s * 16000)).map((_, i) => (i % 2 ? 1 : -1) / 32768);

describe('speaker gate (pVAD baseline) over the WebSocket', () => {
  let server: RunningServer;

  beforeAll(async () => {
    // A greeting long enough for a distractor, a noise burst and the caller to land in it.
    const greeting = fixture('greeting');
    const long = new Float32Array(greeting.length * 4);
    for (let i = 0; i < 4; i++) long.set(greeting, i * greeting.length);
    const greetingPath = path.join(mkdtempSync(path.join(tmpdir(), 'banter-gate-')), 'greeting.wav');
    writeWav(greetingPath, long, 16000);
    server = await startServer({
      port: 0,
      logger: pino({ level: 'silent' }),
      // A stricter operating point than the default (thresholds + 0.1): at the default, which
      // lets about 1 in 10 held-out voices through (eval/speaker/pvad.ts), this espeak-ng voice
      // passes on its third score. The rates are measured on held-out speakers by pvad.ts; this
      // test checks the mechanism end to end with the real model.
      speaker: { mode: 'verify', acceptMargin: 0.1 },
      greetingPath,
    });
  });
  afterAll(() => server?.close());

  it('after an enrollment recording, another voice and noise over the greeting are left alone; the caller cuts it', async () => {
    const client = await StreamClient.start(server.url, { greeting: true, clock: 'audio', enroll_ms: 8000 });
    // The enrollment recording: the caller's two sentences of speech_rms.wav (about 6 s of speech).
    await client.stream(frames(span(fixture('speech_rms'), 0.9, 8.9)), 20, false);
    const enrolled = await client.waitFor('speaker', (m) => m.event === 'enrolled');
    expect(enrolled.message.speech_ms).toBeGreaterThan(4000);
    const greeting = await client.waitFor('output.start', (m) => m.kind === 'greeting');
    expect(greeting.message.t_ms).toBeGreaterThanOrEqual(8000); // it waited for the voiceprint

    // Another voice, then a noise burst, while the greeting plays.
    await client.stream(frames(span(fixture('speech_scotland'), 0.9, 4.1)), 20, false);
    await client.stream(frames(silence(0.8)), 20, false);
    await client.stream(frames(span(fixture('noise_only'), 1.0, 2.5)), 20, false);
    await client.stream(frames(silence(0.8)), 20, false);
    await client.flush();
    expect(client.messages('audio.clear')).toEqual([]);
    const judged = client.messages('speaker').filter((m) => m.event !== 'enrolled');
    expect(judged.length).toBeGreaterThan(0);
    expect(judged.every((m) => m.event === 'other')).toBe(true);

    // The caller: barge_in.wav's "Wait, stop, I have a question." (not part of the enrollment).
    await client.stream(frames(span(fixture('barge_in'), 1.5, 4.0)), 20, false);
    await client.stream(frames(silence(0.8)), 20, false);
    await client.flush();
    const clear = client.messages('audio.clear').find((m) => m.id === greeting.message.id);
    expect(clear).toBeDefined();
    const onset = client
      .messages('vad.speech_start')
      .filter((m) => m.t_ms <= clear!.t_ms)
      .at(-1)!;
    const primary = client
      .messages('speaker')
      .find((m) => m.event === 'primary' && m.start_ms === onset.t_ms);
    expect(primary).toBeDefined();
    // Audio clock: the first score waits for 250 ms of speech, each later one 160 ms more.
    expect(clear!.t_ms - onset.t_ms).toBeLessThan(1000);
    console.log(
      `speaker gate: caller's barge-in ${clear!.t_ms - onset.t_ms} ms after onset (score ${primary!.score})`,
    );
    await client.close();
  }, 60_000);

  it('an enrollment recording without speech says enrollment_failed and the greeting still plays', async () => {
    const client = await StreamClient.start(server.url, { greeting: true, clock: 'audio', enroll_ms: 2000 });
    await client.stream(frames(silence(2.2)), 20, false);
    const failed = await client.waitFor('error', (m) => m.code === 'enrollment_failed');
    expect(failed.message.fatal).toBe(false);
    await client.waitFor('output.start', (m) => m.kind === 'greeting');
    expect(client.messages('speaker')).toEqual([]);
    await client.close();
  });

  it('an enroll_ms out of range is refused with a coded error and the caller may start again', async () => {
    const client = await StreamClient.connect(server.url);
    client.sendJson({
      type: 'session.start',
      protocol: 1,
      input: { encoding: 'pcm16', sample_rate: 16000 },
      enroll_ms: 50,
    });
    const refused = await client.waitFor('error');
    expect(refused.message).toMatchObject({ code: 'invalid_message', fatal: false });
    client.sendJson({
      type: 'session.start',
      protocol: 1,
      input: { encoding: 'pcm16', sample_rate: 16000 },
      greeting: false,
    });
    await client.waitFor('session.ready');
    await client.close();
  });
});
