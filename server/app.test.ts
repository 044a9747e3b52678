/**
 * End-to-end over real WebSockets: real fixture speech, the real Silero
 * model, the real server. Timing is checked on the session audio clock
 * (deterministic); wall-clock latencies are measured by bench/, not asserted.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import alawmulaw from 'alawmulaw';
import OpusScript from 'opusscript';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readWav } from './audio/wav.ts';
import { startServer, type RunningServer } from './app.ts';
import { floatToInt16, floatToPcm16, pcm16ToFloat } from './audio/pcm.ts';
import { resampleAll } from './audio/resampler.ts';
import { StreamClient, chunkPcm16, sleep } from './testing/stream-client.ts';
import { serverCommit } from './version.ts';

const fixture = (name: string) => ({
  audio: readWav(new URL(`../fixtures/audio/${name}.wav`, import.meta.url).pathname).samples,
  truth: JSON.parse(readFileSync(new URL(`../fixtures/audio/${name}.json`, import.meta.url), 'utf8')) as {
    speech: { startMs: number; endMs: number }[];
  },
});

let server: RunningServer;
beforeAll(async () => {
  server = await startServer({
    port: 0,
    logger: pino({ level: 'silent' }),
    writer: { stallTimeoutMs: 2000 },
  });
});
afterAll(async () => {
  await server?.close();
});

function expectSegmentsNearTruth(
  client: StreamClient,
  truth: { startMs: number; endMs: number }[],
  tolMs: number,
) {
  const starts = client.messages('vad.speech_start');
  const ends = client.messages('vad.speech_end');
  expect(starts.length).toBe(truth.length);
  expect(ends.length).toBe(truth.length);
  truth.forEach((seg, i) => {
    expect(Math.abs(starts[i].t_ms - seg.startMs), `start ${i}`).toBeLessThanOrEqual(tolMs);
    expect(Math.abs(ends[i].t_ms - seg.endMs), `end ${i}`).toBeLessThanOrEqual(tolMs);
  });
}

describe('HTTP', () => {
  it('serves /health and Prometheus /metrics', async () => {
    const base = `http://127.0.0.1:${server.port}`;
    const health = await (await fetch(`${base}/health`)).json();
    expect(health).toMatchObject({
      status: 'ok',
      vad: 'silero-v6',
      protocol: 1,
      eot: 'banter-eot@1.0.0 (banter-eot/1)',
      version: JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version,
    });
    // The commit /health names is the one an evaluation report stamps (null outside a checkout).
    expect(health.commit).toBe(serverCommit());
    if (existsSync(new URL('../.git', import.meta.url)) && !process.env.BANTER_COMMIT)
      expect(health.commit).toEqual(expect.any(String));
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toContain('banter_sessions_active');
    expect(metrics).toContain('banter_vad_frame_seconds_bucket');
  });
});

describe('start-up', () => {
  it('refuses to start, with a coded error, when a model folder is broken', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'banter-eot-'));
    cpSync(new URL('../models/eot', import.meta.url).pathname, dir, { recursive: true });
    writeFileSync(join(dir, 'model.onnx'), 'truncated');
    await expect(
      startServer({ port: 0, logger: pino({ level: 'silent' }), eotModelPath: dir }),
    ).rejects.toMatchObject({
      name: 'ModelError',
      code: 'model_corrupt',
    });
    await expect(
      startServer({ port: 0, logger: pino({ level: 'silent' }), eotModelPath: join(dir, 'nope') }),
    ).rejects.toMatchObject({ code: 'model_missing' });
  });
});

describe('streaming in real time', () => {
  it('reports speech start and end within 100 ms of the ground truth', async () => {
    const { audio, truth } = fixture('speech_rms');
    const client = await StreamClient.start(server.url, { greeting: false });
    await client.stream(chunkPcm16(floatToPcm16(audio), 16000, 20), 20, true);
    await client.flush();
    expectSegmentsNearTruth(client, truth.speech, 100);
    // In real time each start reaches the caller well before the audio is over.
    const startEvent = client.events.find((e) => e.message.type === 'vad.speech_start')!;
    expect(startEvent.sentAudioMs).toBeLessThan(truth.speech[0].endMs);
    await client.close();
  });

  it('stops the greeting with audio.clear when the caller barges in', async () => {
    const { audio, truth } = fixture('barge_in');
    const greeting = readWav(new URL('../fixtures/audio/greeting.wav', import.meta.url).pathname);
    const client = await StreamClient.start(server.url);
    const t0 = performance.now();
    await client.stream(chunkPcm16(floatToPcm16(audio), 16000, 20), 20, true);
    await client.flush();
    const onset = truth.speech[0].startMs;
    const clear = await client.waitFor('audio.clear');
    // Decided on the audio clock within 150 ms of the onset; arrived promptly in wall time (figure in bench/).
    expect(clear.message.t_ms - onset).toBeLessThanOrEqual(150);
    expect(clear.message.t_ms - onset).toBeGreaterThanOrEqual(0);
    expect(clear.wallMs - t0 - onset).toBeLessThan(1000);
    const end = await client.waitFor('output.end');
    expect(end.message).toMatchObject({ reason: 'interrupted', id: clear.message.id });
    // Audio stops: nothing arrives after the clear, and far less than the whole greeting was sent.
    expect(client.audioFrames.filter((f) => f.wallMs > clear.wallMs + 5)).toHaveLength(0);
    const sentMs = client.audioFrames.length * 20;
    expect(sentMs).toBeLessThan((greeting.samples.length / greeting.sampleRate) * 1000 - 1000);
    expect(Math.abs(clear.message.heard_ms - (clear.wallMs - t0))).toBeLessThan(200);
    await client.close();
  });

  it("takes the caller's playback reports as what was heard at a barge-in", async () => {
    const { audio, truth } = fixture('barge_in');
    const client = await StreamClient.start(server.url);
    // This caller's player is stuck 1 s behind: it reports 1 s less than real time.
    const t0 = performance.now();
    const reporter = setInterval(() => {
      client.sendJson({ type: 'playback', position_ms: Math.max(0, performance.now() - t0 - 1000) });
    }, 100);
    await client.stream(chunkPcm16(floatToPcm16(audio), 16000, 20), 20, true);
    clearInterval(reporter);
    const clear = await client.waitFor('audio.clear');
    const onset = truth.speech[0].startMs;
    expect(clear.message.heard_ms).toBeGreaterThan(onset - 1000 - 150);
    expect(clear.message.heard_ms).toBeLessThan(onset - 1000 + 250);
    await client.close();
  });

  it('plays the whole greeting, in order and intact, when nobody interrupts', async () => {
    const client = await StreamClient.start(server.url);
    const done = await client.waitFor('output.end', undefined, 10_000);
    expect(done.message.reason).toBe('done');
    const greeting = readWav(new URL('../fixtures/audio/greeting.wav', import.meta.url).pathname).samples;
    const received = pcm16ToFloat(Buffer.concat(client.audioFrames.map((f) => f.data)));
    expect(received.length).toBe(Math.ceil(greeting.length / 320) * 320);
    let maxDiff = 0;
    for (let i = 0; i < greeting.length; i++)
      maxDiff = Math.max(maxDiff, Math.abs(received[i] - greeting[i]));
    expect(maxDiff).toBeLessThan(2 / 32768);
    // Paced: ~3.1 s of audio took about that long to arrive.
    const span = client.audioFrames.at(-1)!.wallMs - client.audioFrames[0].wallMs;
    expect(span).toBeGreaterThan(2500);
    await client.close();
  });
});

describe("faster than real time on the audio clock (clock: 'audio')", () => {
  it('paces output by caller audio, so a fast barge-in cuts the greeting where real time would', async () => {
    const { audio, truth } = fixture('barge_in');
    const client = await StreamClient.start(server.url, { clock: 'audio' });
    expect(client.messages('session.ready')[0].clock).toBe('audio');
    const t0 = performance.now();
    await client.stream(chunkPcm16(floatToPcm16(audio), 16000, 20), 20, false);
    await client.flush();
    expect(performance.now() - t0).toBeLessThan(audio.length / 16); // faster than real time
    const clear = await client.waitFor('audio.clear');
    expect(clear.message.t_ms - truth.speech[0].startMs).toBeLessThanOrEqual(150);
    // Output sent by then: the audio clock at the clear plus the 120 ms lead, in 20 ms frames.
    const expectedFrames = Math.ceil((clear.message.t_ms + 120) / 20);
    expect(Math.abs(clear.message.output_ms / 20 - expectedFrames)).toBeLessThanOrEqual(2);
    expect(client.audioFrames.length).toBe(clear.message.output_ms / 20);
    expect(clear.message.heard_ms).toBeCloseTo(clear.message.t_ms, -2);
    await client.close();
  });

  it('sends no output while no caller audio arrives', async () => {
    const client = await StreamClient.start(server.url, { clock: 'audio' });
    await sleep(300);
    expect(client.audioFrames.length).toBe(120 / 20 + 1); // frames starting within the lead, inclusive
    const { audio } = fixture('silence');
    await client.stream(chunkPcm16(floatToPcm16(audio), 16000, 20), 20, false);
    await client.flush();
    const end = await client.waitFor('output.end');
    expect(end.message.reason).toBe('done');
    expect(client.audioFrames.length).toBe(end.message.output_ms / 20);
    await client.close();
  });
});

describe('input encodings', () => {
  const { audio, truth } = fixture('speech_scotland');

  it('hears pcm16 at 48 kHz', async () => {
    const pcm48 = floatToPcm16(await resampleAll(audio, 16000, 48000));
    const client = await StreamClient.start(server.url, {
      input: { encoding: 'pcm16', sample_rate: 48000 },
      greeting: false,
    });
    await client.stream(chunkPcm16(pcm48, 48000, 20), 20, false);
    await client.flush();
    expectSegmentsNearTruth(client, truth.speech, 100);
    await client.close();
  });

  it('hears mu-law at 8 kHz (telephone band)', async () => {
    const ulaw = alawmulaw.mulaw.encode(floatToInt16(await resampleAll(audio, 16000, 8000)));
    const frames: Uint8Array[] = [];
    for (let i = 0; i < ulaw.length; i += 160) frames.push(ulaw.subarray(i, i + 160));
    const client = await StreamClient.start(server.url, {
      input: { encoding: 'mulaw', sample_rate: 8000 },
      greeting: false,
    });
    await client.stream(frames, 20, false);
    await client.flush();
    expectSegmentsNearTruth(client, truth.speech, 100);
    await client.close();
  });

  it('hears Opus packets, drops a corrupt one, and answers in Opus', async () => {
    const enc = new OpusScript(48000, 1, OpusScript.Application.VOIP);
    const pcm = floatToInt16(await resampleAll(audio, 16000, 48000));
    const packets: Uint8Array[] = [];
    for (let i = 0; i + 960 <= pcm.length; i += 960) {
      packets.push(new Uint8Array(enc.encode(Buffer.from(pcm.buffer, pcm.byteOffset + i * 2, 1920), 960)));
    }
    enc.delete();
    const client = await StreamClient.start(server.url, {
      input: { encoding: 'opus', sample_rate: 48000 },
      output: { encoding: 'opus' },
    });
    const ready = client.messages('session.ready')[0];
    expect(ready.output).toEqual({ encoding: 'opus', sample_rate: 48000, frame_ms: 20 });
    await client.stream(packets.slice(0, 100), 20, false);
    client.ws.send(Uint8Array.from([0b00000001, 1, 2, 3])); // corrupt: two equal frames over an odd payload
    await client.stream(packets.slice(100), 20, false);
    await client.flush();
    expect((await client.waitFor('error')).message).toMatchObject({ code: 'bad_audio', fatal: false });
    expectSegmentsNearTruth(client, truth.speech, 100);
    await sleep(100);
    expect(client.audioFrames.length).toBeGreaterThan(0);
    expect(client.audioFrames[0].data.length).toBeLessThan(400);
    await client.close();
  });
});

describe('bad input gets a coded error and the session survives', () => {
  async function expectError(client: StreamClient, code: string) {
    const e = await client.waitFor('error', (m) => m.code === code);
    return e.message;
  }

  it('malformed JSON, unknown type, invalid fields, binary before the handshake', async () => {
    const client = await StreamClient.connect(server.url);
    client.ws.send('{not json');
    expect(await expectError(client, 'bad_json')).toMatchObject({ fatal: false });
    client.sendJson({ type: 'dance' });
    expect(await expectError(client, 'unknown_type')).toMatchObject({ fatal: false });
    client.sendJson({ type: 'marker', id: 7 });
    expect(await expectError(client, 'invalid_message')).toMatchObject({ fatal: false });
    client.ws.send(new Uint8Array(640));
    expect(await expectError(client, 'not_started')).toMatchObject({ fatal: false });
    client.sendJson({ type: 'session.start', protocol: 1, input: { encoding: 'pcm16', sample_rate: 44100 } });
    expect(await expectError(client, 'unsupported_sample_rate')).toMatchObject({ fatal: false });
    client.sendJson({ type: 'session.start', protocol: 1, input: { encoding: 'flac', sample_rate: 16000 } });
    await expectError(client, 'invalid_message');
    // After all that, a correct handshake still works.
    client.sendJson({
      type: 'session.start',
      protocol: 1,
      input: { encoding: 'pcm16', sample_rate: 16000 },
      greeting: false,
    });
    await client.waitFor('session.ready');
    client.sendJson({ type: 'session.start', protocol: 1, input: { encoding: 'pcm16', sample_rate: 16000 } });
    await expectError(client, 'already_started');
    await client.flush();
    await client.close();
  });

  it('audio sent right behind session.start, before session.ready, is kept', async () => {
    // Regression: a 48 kHz handshake takes a few hundred ms (resampler setup), and the first words were dropped.
    const { audio, truth } = fixture('speech_rms');
    const pcm48 = floatToPcm16(await resampleAll(audio, 16000, 48000));
    const client = await StreamClient.connect(server.url);
    client.sendJson({
      type: 'session.start',
      protocol: 1,
      input: { encoding: 'pcm16', sample_rate: 48000 },
      greeting: false,
    });
    await client.stream(chunkPcm16(pcm48, 48000, 20), 20, false);
    const marker = await client.flush();
    expect(client.messages('error')).toEqual([]);
    expect(Math.abs(marker.message.t_ms - audio.length / 16)).toBeLessThanOrEqual(32);
    expectSegmentsNearTruth(client, truth.speech, 100);
    await client.close();
  });

  it('an unsupported protocol version is fatal with close code 4001', async () => {
    const client = await StreamClient.connect(server.url);
    client.sendJson({
      type: 'session.start',
      protocol: 99,
      input: { encoding: 'pcm16', sample_rate: 16000 },
    });
    expect(await expectError(client, 'unsupported_protocol')).toMatchObject({ fatal: true });
    await client.whenClosed();
    expect(client.closeCode).toBe(4001);
  });

  it('drops oversized and corrupt frames but keeps every good frame', async () => {
    const { audio, truth } = fixture('speech_rms');
    const frames = chunkPcm16(floatToPcm16(audio), 16000, 20);
    const client = await StreamClient.start(server.url, { greeting: false });
    await client.stream(frames.slice(0, 100), 20, false);
    client.ws.send(new Uint8Array(16000 * 2 * 2)); // 2 s in one frame: over the 1 s limit
    client.ws.send(new Uint8Array(641)); // odd byte count
    await client.stream(frames.slice(100), 20, false);
    const marker = await client.flush();
    expect(await expectError(client, 'frame_too_large')).toMatchObject({ fatal: false });
    expect(await expectError(client, 'bad_audio')).toMatchObject({ fatal: false });
    // The dropped frames took no time on the audio clock: the good audio lines up with the truth.
    expect(marker.message.t_ms).toBe(Math.floor(audio.length / 512) * 32);
    expectSegmentsNearTruth(client, truth.speech, 100);
    await client.close();
  });

  it('a frame over the hard payload limit closes with 1009; the server carries on', async () => {
    const client = await StreamClient.start(server.url, { greeting: false });
    client.ws.send(new Uint8Array(2 * 1024 * 1024));
    await client.whenClosed();
    expect(client.closeCode).toBe(1009);
    const other = await StreamClient.start(server.url, { greeting: false });
    await other.flush();
    await other.close();
  });

  it('a caller that vanishes mid-utterance: its accepted audio is still processed, others unaffected', async () => {
    const { audio } = fixture('speech_rms');
    const frames = chunkPcm16(floatToPcm16(audio), 16000, 20);
    const before = await metricValue('banter_vad_frames_total');
    const vanisher = await StreamClient.start(server.url, { greeting: false });
    const bystander = await StreamClient.start(server.url, { greeting: false });
    const half = frames.slice(0, 120); // stops in the middle of the first sentence
    await vanisher.stream(half, 20, false);
    vanisher.ws.terminate();
    await bystander.stream(frames, 20, false);
    await bystander.flush();
    expect(bystander.messages('vad.speech_end')).toHaveLength(2);
    await sleep(200);
    const after = await metricValue('banter_vad_frames_total');
    const expected = Math.floor((120 * 320) / 512) + Math.floor(audio.length / 512);
    expect(after - before).toBe(expected);
    await bystander.close();
  });

  it('a caller that never reads: input is still processed, and nothing it was sent is lost', async () => {
    const { audio } = fixture('speech_rms');
    const frames = chunkPcm16(floatToPcm16(audio), 16000, 20);
    const client = await StreamClient.start(server.url, { greeting: false });
    // Stop reading from the TCP socket: everything the server sends piles up in the kernel buffers.
    (client.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();
    await client.stream(frames, 20, false);
    client.sendJson({ type: 'marker', id: 'after-audio' });
    await sleep(500);
    expect(client.events.find((e) => e.message.type === 'marker')).toBeUndefined();
    (client.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    const marker = await client.waitFor('marker', (m) => m.id === 'after-audio');
    expect(marker.message.t_ms).toBe(Math.floor(audio.length / 512) * 32);
    expect(client.messages('vad.speech_start')).toHaveLength(2);
    await client.close();
  });
});

async function metricValue(name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${server.port}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return Number(line?.split(' ')[1] ?? 0);
}
