/**
 * Scripted conversations over a real WebSocket: the real server with Silero VAD, PocketSphinx
 * (Debian's, the bridge until banter's own recognizer is trained), banter's TDM model and the
 * flite synthesizer. The caller is flite's rms voice (banter speaks slt), streamed in real time
 * with a little noise between its words, as a microphone would.
 *
 * Skipped, with a message, where pocketsphinx is not installed (CI installs it).
 */
import { spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from './app.ts';
import { samplesForMs } from './audio/rates.ts';
import type { ServerMessageOf } from './protocol/messages.ts';
import { Caller } from './testing/live-caller.ts';
import { StreamClient, sleep } from './testing/stream-client.ts';
import { CodecLmTtsOptions } from './tts/codec-lm-synthesizer.ts';
import { FliteEngine } from './tts/flite.ts';

const installed = !spawnSync('pocketsphinx_continuous', ['-h']).error;
if (!installed)
  console.warn('server/conversation.test.ts: pocketsphinx not installed; conversations skipped');

describe.skipIf(!installed)('a conversation over the WebSocket', () => {
  let server: RunningServer;
  const serverLog: string[] = [];
  const voice = new FliteEngine();
  const speak = (text: string) => voice.synthesize(text, 'rms');

  beforeAll(async () => {
    // Warnings and errors are kept, to print when a test fails.
    const logger = pino(
      { level: 'warn' },
      { write: (line: string) => void serverLog.push(line.slice(0, 400)) },
    );
    server = await startServer({ port: 0, logger, asr: { backend: 'pocketsphinx' } });
  });
  afterAll(async () => {
    await server?.close();
    await voice.close();
  });

  /** What the session sent, one line per message (audio aside): printed when a wait fails. */
  const transcript = (c: StreamClient) =>
    c.events.map((e) => `${Math.round(e.sentAudioMs)} ${JSON.stringify(e.message).slice(0, 160)}`).join('\n');
  const waitOrDump = async <T>(c: StreamClient, p: Promise<T>): Promise<T> => {
    try {
      return await p;
    } catch (err) {
      // Is the session still processing audio? A marker is answered once all audio before it was.
      const alive = await c.flush().then(
        () => 'input alive',
        () => 'input STUCK',
      );
      console.error(`session messages (caller audio ms, message), ${alive}:\n${transcript(c)}`);
      console.error(`server log:\n${serverLog.join('\n')}`);
      throw err;
    }
  };

  const turnEvents = (c: StreamClient, event: ServerMessageOf<'turn.event'>['event']) =>
    c.messages('turn.event').filter((e) => e.event === event);

  it('a question gets a spoken answer, and the answer plays to its end', async () => {
    const client = await StreamClient.start(server.url, { greeting: false });
    const caller = new Caller(client);
    await sleep(500);
    caller.say(await speak('hi can you help me book a table for dinner tonight'));
    const final = await client.waitFor('asr.final', () => true, 30_000);
    expect(final.message.text).toContain('table');
    const eot = await client.waitFor('turn.event', (e) => e.event === 'end_of_turn', 10_000);
    expect(eot.message.probability).toBeGreaterThanOrEqual(0);
    const start = await client.waitFor(
      'output.start',
      (m) => m.kind === 'reply' && m.t_ms >= final.message.start_ms,
      10_000,
    );
    await client.waitFor('turn.event', (e) => e.event === 'tts_first_audio', 10_000);
    const end = await client.waitFor('output.end', (m) => m.id === start.message.id, 60_000);
    expect(end.message.reason).toBe('done');
    const played = await client.waitFor('turn.event', (e) => e.event === 'played', 5000);
    // The words the caller heard (banter-tdm 1.1.0 answers this one briefly: "you want?").
    expect(played.message.text!.trim().split(' ').length).toBeGreaterThan(0);
    // The reply's audio really went out: frames after its start, about as long as it played.
    const frames = client.audioFrames.filter((f) => f.wallMs >= start.wallMs);
    const audioMs = frames.reduce((n, f) => n + f.data.length / 32, 0);
    expect(audioMs).toBeGreaterThan(800);
    expect(audioMs).toBeCloseTo(end.message.output_ms - start.message.output_ms, -2);
    expect(client.messages('error')).toEqual([]);
    await caller.stop();
    await client.close();
  }, 90_000);

  it('an interruption mid-answer clears the audio, truncates the answer to what was heard, and gets an answer of its own', async () => {
    const client = await StreamClient.start(server.url, { greeting: false });
    const caller = new Caller(client);
    await sleep(500);
    const interruption = await speak('no wait actually what about restaurants near me');
    caller.say(await speak('can you tell me about the weather this weekend'));
    const first = await client.waitFor('output.start', (m) => m.kind === 'reply', 40_000);
    await client.waitFor('turn.event', (e) => e.event === 'tts_first_audio', 10_000);
    await sleep(300);
    caller.say(interruption);
    const clear = await client.waitFor('audio.clear', (m) => m.id === first.message.id, 10_000);
    expect(clear.message.heard_ms).toBeGreaterThan(0);
    const truncated = await client.waitFor(
      'turn.event',
      (e) => e.event === 'truncated' && e.id === first.message.id,
      20_000,
    );
    expect(truncated.message.heard_ms).toBeLessThanOrEqual(clear.message.heard_ms + 1);
    const second = await client.waitFor(
      'output.start',
      (m) => m.kind === 'reply' && m.id !== first.message.id,
      30_000,
    );
    expect(second.wallMs).toBeGreaterThan(clear.wallMs);
    expect(client.messages('output.end').find((m) => m.id === first.message.id)?.reason).toBe('interrupted');
    expect(turnEvents(client, 'resumed').filter((e) => e.id === first.message.id)).toEqual([]);
    await caller.stop();
    await client.close();
  }, 90_000);

  /** Asks a question and waits for the answer's first audio; returns the reply's output.start. */
  async function askAndHear(client: StreamClient, caller: Caller, question: string) {
    await sleep(500);
    caller.say(await speak(question));
    const start = await client.waitFor('output.start', (m) => m.kind === 'reply', 40_000);
    await client.waitFor(
      'turn.event',
      (e) => e.event === 'tts_first_audio' && e.id === start.message.id,
      10_000,
    );
    return start.message;
  }

  it('a backchannel over the answer does not stop it: at most paused, then played on to its end', async () => {
    const client = await StreamClient.start(server.url, { greeting: false });
    const caller = new Caller(client);
    // "okay": PocketSphinx hears flite's "yeah" as "you have" and "uh huh" as "the blood".
    const okay = await speak('okay');
    const reply = await askAndHear(client, caller, 'can you tell me about the weather this weekend');
    await sleep(200);
    caller.say(okay);
    const end = await waitOrDump(
      client,
      client.waitFor('output.end', (m) => m.id === reply.id, 30_000),
    );
    expect(end.message.reason).toBe('done');
    expect(turnEvents(client, 'truncated').filter((e) => e.id === reply.id)).toEqual([]);
    // If the VAD took it for a barge-in, the reply was paused and resumed from a word start.
    const paused = turnEvents(client, 'paused').filter((e) => e.id === reply.id);
    const resumed = turnEvents(client, 'resumed').filter((e) => e.id === reply.id);
    expect(resumed.length).toBe(paused.length);
    for (const [i, r] of resumed.entries()) expect(r.heard_ms).toBeLessThanOrEqual(paused[i].heard_ms!);
    await caller.stop();
    await client.close();
  }, 90_000);

  it('a noise burst over the answer does not stop it', async () => {
    const client = await StreamClient.start(server.url, { greeting: false });
    const caller = new Caller(client);
    const reply = await askAndHear(client, caller, 'can you tell me about the weather this weekend');
    await sleep(200);
    let seed = 3;
    const burst = new Float32Array(samplesForMs(300)).map(() => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return ((seed / 0x7fffffff) * 2 - 1) * 0.3;
    });
    caller.say(burst);
    const end = await waitOrDump(
      client,
      client.waitFor('output.end', (m) => m.id === reply.id, 30_000),
    );
    expect(end.message.reason).toBe('done');
    expect(turnEvents(client, 'truncated').filter((e) => e.id === reply.id)).toEqual([]);
    await caller.stop();
    await client.close();
  }, 90_000);

  it('a caller that vanishes mid-reply ends only its own session; the next caller is answered', async () => {
    const a = await StreamClient.start(server.url, { greeting: false });
    const callerA = new Caller(a);
    await askAndHear(a, callerA, 'can you tell me about the weather this weekend');
    await callerA.stop();
    a.ws.terminate(); // no close frame: the network is gone
    const b = await StreamClient.start(server.url, { greeting: false });
    const callerB = new Caller(b);
    const reply = await askAndHear(b, callerB, 'hi can you help me book a table for dinner tonight');
    const end = await waitOrDump(
      b,
      b.waitFor('output.end', (m) => m.id === reply.id, 30_000),
    );
    expect(end.message.reason).toBe('done');
    expect(b.messages('error')).toEqual([]);
    await callerB.stop();
    await b.close();
    for (let i = 0; i < 50 && server.sessions.size > 0; i++) await sleep(100);
    expect(server.sessions.size).toBe(0);
  }, 90_000);
});

describe.skipIf(!installed)('a conversation whose language model times out', () => {
  let server: RunningServer;
  let silent: Server;
  const voice = new FliteEngine();

  beforeAll(async () => {
    // An OpenAI-compatible endpoint that accepts the request and never answers.
    silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    server = await startServer({
      port: 0,
      logger: pino({ level: 'silent' }),
      asr: { backend: 'pocketsphinx' },
      llm: { backend: 'openai', url: `http://127.0.0.1:${port}/v1`, timeoutMs: 800 },
    });
  });
  afterAll(async () => {
    await server?.close();
    silent?.closeAllConnections();
    await new Promise((resolve) => silent?.close(resolve));
    await voice.close();
  });

  it('the caller gets llm_failed (not fatal), and the session goes on listening', async () => {
    const client = await StreamClient.start(server.url, { greeting: false });
    const caller = new Caller(client);
    await sleep(500);
    caller.say(await voice.synthesize('hi can you help me book a table for dinner tonight', 'rms'));
    const err = await client.waitFor('error', (m) => m.code === 'llm_failed', 30_000);
    expect(err.message.fatal).toBe(false);
    await caller.said();
    await client.flush(); // still processing the caller's audio
    expect(client.closeCode).toBeNull();
    expect(client.messages('output.start').filter((m) => m.kind === 'reply')).toEqual([]);
    await caller.stop();
    await client.close();
  }, 60_000);
});

describe.skipIf(!installed)('a conversation with the speaker gate on (only the caller may barge in)', () => {
  let server: RunningServer;
  const voice = new FliteEngine();

  beforeAll(async () => {
    server = await startServer({
      port: 0,
      logger: pino({ level: 'warn' }),
      asr: { backend: 'pocketsphinx' },
      // Stricter than the default (thresholds + 0.1), as in server/speaker-gate.test.ts: at the
      // default, flite awb (another flite voice, like the caller's) passes on its fourth score.
      // The rates are measured on held-out speakers by eval/speaker/pvad.ts.
      speaker: { mode: 'verify', acceptMargin: 0.1 },
    });
  });
  afterAll(async () => {
    await server?.close();
    await voice.close();
  });

  /** Waits until nothing banter said is still playing (every output.start has its output.end). */
  async function quiet(client: StreamClient) {
    for (let i = 0; i < 300; i++) {
      const ended = new Set(client.messages('output.end').map((m) => m.id));
      if (client.messages('output.start').every((m) => ended.has(m.id))) return;
      await sleep(100);
    }
    throw new Error('banter kept talking');
  }

  it("enrolls the caller from their first question; another voice over the answer neither clears nor pauses it; the caller's own interruption does", async () => {
    const client = await StreamClient.start(server.url, { greeting: false });
    const caller = new Caller(client);
    await sleep(500);
    // The caller is flite rms; the other voice is flite awb (a colleague in the room).
    caller.say(
      await voice.synthesize(
        'hello there, can you tell me about the weather this weekend in the city',
        'rms',
      ),
    );
    const enrolled = await client.waitFor('speaker', (m) => m.event === 'enrolled', 30_000);
    expect(enrolled.message.speech_ms).toBeGreaterThanOrEqual(3000);
    const first = await client.waitFor('output.start', (m) => m.kind === 'reply', 40_000);
    await client.waitFor(
      'turn.event',
      (e) => e.event === 'tts_first_audio' && e.id === first.message.id,
      10_000,
    );
    await caller.say(await voice.synthesize('did you see the game last night', 'awb'));
    const other = await client.waitFor('speaker', (m) => m.event === 'other', 10_000);
    expect(other.message.score).toBeDefined();
    expect(client.messages('audio.clear')).toEqual([]);
    expect(client.messages('turn.event').filter((e) => e.event === 'paused')).toEqual([]);

    // The other voice's words are transcribed for the client but are not the caller's turn:
    // banter does not answer them. Once it is quiet, the caller asks again and cuts the answer short.
    await quiet(client);
    expect(client.messages('output.start').filter((m) => m.t_ms > other.message.t_ms)).toEqual([]);
    const asked = client.messages('output.start').length;
    caller.say(await voice.synthesize('can you tell me about the weather this weekend', 'rms'));
    const second = await client.waitFor(
      'output.start',
      (m) => m.kind === 'reply' && client.messages('output.start').indexOf(m) >= asked,
      40_000,
    );
    await client.waitFor(
      'turn.event',
      (e) => e.event === 'tts_first_audio' && e.id === second.message.id,
      10_000,
    );
    await sleep(200);
    caller.say(await voice.synthesize('no wait, what about restaurants near me', 'rms'));
    const clear = await client.waitFor('audio.clear', (m) => m.id === second.message.id, 10_000);
    const onset = client
      .messages('vad.speech_start')
      .filter((m) => m.t_ms <= clear.message.t_ms)
      .at(-1)!;
    const primary = client
      .messages('speaker')
      .find((m) => m.event === 'primary' && m.start_ms === onset.t_ms);
    expect(primary?.score).toBeDefined();
    // On the audio clock: the first decision waits for firstDecisionMs of speech, later ones a hop each.
    expect(clear.message.t_ms - onset.t_ms).toBeLessThan(1000);
    await caller.stop();
    await client.close();
  }, 150_000);
});

describe.skipIf(!installed)('a conversation spoken by the codec-LM synthesizer', () => {
  // The tiny random fixtures (server/tts/codec-lm/testdata, server/tts/codec/testdata): the
  // reply is noise, not speech; what is tested is that the session speaks through the
  // codec LM and codec end to end (models/codec-lm is not trained yet, issue 12).
  let server: RunningServer;
  const voice = new FliteEngine();
  const fixtures = new URL('./tts/', import.meta.url).pathname;

  beforeAll(async () => {
    server = await startServer({
      port: 0,
      logger: pino({ level: 'silent' }),
      asr: { backend: 'pocketsphinx' },
      tts: {
        backend: 'codec-lm',
        codecLm: CodecLmTtsOptions.parse({
          lmModel: `${fixtures}codec-lm/testdata/tiny-stack-delay`,
          codecModel: `${fixtures}codec/testdata/tiny-codec`,
          maxClauseMs: 400,
        }),
      },
    });
  });
  afterAll(async () => {
    await server?.close();
    await voice.close();
  });

  it('answers a question in audio made pass by pass by the codec LM and decoded by the codec', async () => {
    const health = await (await fetch(`http://127.0.0.1:${server.port}/health`)).json();
    expect(health.tts).toBe('tiny-codec-lm-stack-delay@0.0.1+tiny-codec@0.0.1');
    const client = await StreamClient.start(server.url, { greeting: false });
    const caller = new Caller(client);
    await sleep(500);
    caller.say(await voice.synthesize('hi can you help me book a table for dinner tonight', 'rms'));
    const start = await client.waitFor('output.start', (m) => m.kind === 'reply', 40_000);
    await client.waitFor('turn.event', (e) => e.event === 'tts_first_audio', 10_000);
    const end = await client.waitFor('output.end', (m) => m.id === start.message.id, 60_000);
    expect(end.message.reason).toBe('done');
    const frames = client.audioFrames.filter((f) => f.wallMs >= start.wallMs);
    const audioMs = frames.reduce((n, f) => n + f.data.length / 32, 0);
    expect(audioMs).toBeGreaterThan(100);
    expect(audioMs).toBeCloseTo(end.message.output_ms - start.message.output_ms, -2);
    expect(client.messages('error')).toEqual([]);
    await caller.stop();
    await client.close();
  }, 90_000);
});
