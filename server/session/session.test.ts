/**
 * The session alone, behind a fake link and a scripted VAD (loud frames are speech): its
 * ordering, its barge-in wiring and its input handling, with no socket and no model. The real
 * model and real WebSockets are in server/app.test.ts.
 */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { floatToPcm16 } from '../audio/pcm.ts';
import { samplesForMs } from '../audio/rates.ts';
import { resolveConfig, type ConfigOverrides } from '../config.ts';
import { createMetrics } from '../metrics.ts';
import { RateLimitedLog } from '../limits/rate-limited-log.ts';
import type { Recognizer, Transcript } from '../asr/recognizer.ts';
import type { EotDetector } from '../turn-taking/eot.ts';
import type { SileroModel } from '../turn-taking/silero.ts';
import type { CallerLink, SessionEvent } from './events.ts';
import { Session } from './session.ts';

const rms = (f: Float32Array) => Math.sqrt(f.reduce((s, x) => s + x * x, 0) / f.length);

/** Speech probability 0.9 for loud frames, 0.05 for quiet ones; `gate` lets a test hold frames back. */
function scriptedVad(gate?: () => Promise<void>): SileroModel {
  return {
    contract: 'v5',
    label: 'scripted',
    release: async () => {},
    createStream: () => ({
      async process(frame) {
        await gate?.();
        return rms(frame) > 0.05 ? 0.9 : 0.05;
      },
      reset() {},
    }),
  };
}

/** A recognizer that reports how much audio it was given: a partial per push, a final per endpoint. */
function countingRecognizer(fail = false) {
  const pushedMs: number[] = [];
  const recognizer: Recognizer = {
    label: 'counting',
    createStream: (onTranscript) => {
      let heard = 0;
      let startMs = -1;
      const t = (kind: 'partial' | 'final', endMs: number): Transcript => ({
        kind,
        stable: `${heard}ms`,
        unstable: '',
        words: [],
        startMs,
        endMs,
      });
      return {
        async push(samples, atMs) {
          if (fail) throw new Error('recognizer broke');
          if (startMs < 0) startMs = atMs;
          pushedMs.push(atMs);
          heard += (samples.length * 1000) / 16000;
          onTranscript(t('partial', atMs + (samples.length * 1000) / 16000));
        },
        async endpoint() {
          onTranscript(t('final', startMs + heard));
          heard = 0;
          startMs = -1;
        },
        reset() {},
        close() {},
      };
    },
  };
  return { recognizer, pushedMs };
}

function harness(overrides: ConfigOverrides = {}, vad = scriptedVad(), recognizer: Recognizer | null = null) {
  const events: SessionEvent[] = [];
  const audio: { atEvent: number }[] = [];
  const calls = { pause: 0, resume: 0, closed: null as null | { code: number; reason: string } };
  const link: CallerLink = {
    bufferedAmount: 0,
    readyState: 1,
    send(frame) {
      if (typeof frame === 'string') events.push(JSON.parse(frame) as SessionEvent);
      else audio.push({ atEvent: events.length });
    },
    encodeEvent: (e) => JSON.stringify(e),
    encodeAudio: (f) => f,
    close: (code, reason) => (calls.closed = { code, reason }),
    pause: () => calls.pause++,
    resume: () => calls.resume++,
  };
  const metrics = createMetrics();
  const greeting = new Float32Array(samplesForMs(3000)).map((_, i) => 0.1 * Math.sin(i / 5));
  const session = new Session(link, {
    config: resolveConfig({ logLevel: 'silent', ...overrides }),
    vadModel: vad,
    eot: {} as EotDetector,
    recognizer,
    duplex: null,
    synthesizer: null,
    greeting,
    metrics,
    log: pino({ level: 'silent' }),
    badInputLog: new RateLimitedLog({ burst: 10, perSecond: 0 }),
  });
  const start = (greetingOn = true) =>
    session.handle({
      type: 'start',
      input: { encoding: 'pcm16', sample_rate: 16000 },
      output: { encoding: 'pcm16' },
      greeting: greetingOn,
      clock: 'audio',
    });
  /** Streams `ms` of caller audio at `level` in 20 ms frames. */
  const say = (ms: number, level: number) => {
    for (let t = 0; t < ms; t += 20) {
      const frame = new Float32Array(samplesForMs(20)).map((_, i) => level * Math.sin(i / 3));
      session.handle({ type: 'audio', data: floatToPcm16(frame) });
    }
  };
  const types = () => events.map((e) => e.type);
  return { session, events, audio, calls, metrics, start, say, types };
}

describe('Session with a recognizer', () => {
  it('hears only the speech the VAD accepted (with its pre-roll), partials while it lasts, the final after speech_end', async () => {
    const { recognizer, pushedMs } = countingRecognizer();
    const h = harness({ asr: { feed: { preRollMs: 64 } } }, scriptedVad(), recognizer);
    h.start(false);
    h.say(1024, 0);
    h.say(640, 0.3);
    h.say(1024, 0);
    await h.session.drained();
    const types = h.types().map((t, i) => {
      const e = h.events[i];
      return e.type === 'transcript' ? e.transcript.kind : t;
    });
    expect(types[0]).toBe('ready');
    expect(types.indexOf('partial')).toBeGreaterThan(types.indexOf('speech_start'));
    // The recognizer catches up after the VAD: the hangover's last partials may follow speech_end.
    expect(types.at(-1)).toBe('final');
    expect(types.indexOf('speech_end')).toBeLessThan(types.indexOf('final'));
    expect(types.filter((t) => t === 'final')).toHaveLength(1);
    const start = h.events.find((e) => e.type === 'speech_start')!.atMs;
    const end = h.events.find((e) => e.type === 'speech_end')!;
    // From 64 ms before the onset to the confirmed end (the 400 ms hangover), nothing else.
    expect(pushedMs[0]).toBe(start - 64);
    expect(pushedMs.at(-1)!).toBeLessThanOrEqual(end.atMs + 400);
    expect(pushedMs.at(-1)!).toBeGreaterThanOrEqual(end.atMs);
    expect(pushedMs.length * 32).toBeLessThan(640 + 64 + 400 + 100);
  });

  it('session.end mid-utterance sends the final before the close', async () => {
    const { recognizer } = countingRecognizer();
    const h = harness({}, scriptedVad(), recognizer);
    h.start(false);
    h.say(320, 0);
    h.say(640, 0.3);
    h.session.handle({ type: 'end' });
    await h.session.drained();
    expect(h.events.at(-1)).toMatchObject({ type: 'transcript', transcript: { kind: 'final' } });
    expect(h.types()).toContain('speech_end');
    expect(h.calls.closed?.code).toBe(1000);
  });

  it('a failing recognizer is reported once (asr_failed) and the session carries on without it', async () => {
    const { recognizer } = countingRecognizer(true);
    const h = harness({}, scriptedVad(), recognizer);
    h.start(false);
    for (let i = 0; i < 2; i++) {
      h.say(320, 0);
      h.say(640, 0.3);
      h.say(640, 0);
    }
    await h.session.drained();
    expect(h.events.filter((e) => e.type === 'error')).toEqual([
      expect.objectContaining({ code: 'asr_failed', fatal: false }),
    ]);
    expect(h.types().filter((t) => t === 'speech_end')).toHaveLength(2);
    expect(h.calls.closed).toBeNull();
  });
});

describe('Session', () => {
  it('caller speech over the greeting: speech_start, then audio_clear and output_end, and no audio after', async () => {
    const h = harness();
    h.start();
    h.say(1000, 0);
    h.say(600, 0.3);
    h.say(1000, 0);
    await h.session.drained();
    expect(h.types()).toEqual([
      'ready',
      'output_start',
      'speech_start',
      'audio_clear',
      'output_end',
      'speech_end',
    ]);
    const clear = h.events.find((e) => e.type === 'audio_clear')!;
    const start = h.events.find((e) => e.type === 'speech_start')!;
    // Two 32 ms frames confirm the onset; the cut follows on that frame.
    expect(clear.atMs - start.atMs).toBeLessThanOrEqual(96);
    expect(clear.type === 'audio_clear' && Math.abs(clear.heardMs - clear.atMs)).toBeLessThanOrEqual(40);
    expect(h.events.find((e) => e.type === 'output_end')).toMatchObject({
      reason: 'interrupted',
      id: clear.id,
    });
    const clearIndex = h.events.indexOf(clear);
    expect(h.audio.filter((a) => a.atEvent > clearIndex)).toHaveLength(0);
    expect((await h.metrics.bargeIns.get()).values[0].value).toBe(1);
  });

  it("with bargeIn 'never' the greeting plays to the end over the caller's speech", async () => {
    const h = harness({ turnTaking: { bargeIn: 'never' } });
    h.start();
    h.say(500, 0);
    h.say(600, 0.3);
    h.say(3000, 0);
    await h.session.drained();
    expect(h.types()).not.toContain('audio_clear');
    expect(h.events.find((e) => e.type === 'output_end')).toMatchObject({ reason: 'done' });
    expect(h.audio).toHaveLength(3000 / 20);
  });

  it('a marker is answered after all audio before it, on the audio clock', async () => {
    const h = harness();
    h.start(false);
    h.say(640, 0);
    h.session.handle({ type: 'marker', id: 'm' });
    h.say(320, 0);
    await h.session.drained();
    expect(h.events.find((e) => e.type === 'marker')).toEqual({ type: 'marker', id: 'm', atMs: 640 });
  });

  it('audio sent during the handshake is processed before inputs that follow it', async () => {
    const h = harness();
    h.start(false);
    h.say(640, 0); // the codecs open asynchronously: these frames arrive while the session is starting
    h.session.handle({ type: 'marker', id: 'after' });
    await h.session.drained();
    expect(h.events.find((e) => e.type === 'marker')).toMatchObject({ atMs: 640 });
  });

  it('bad input is reported with its code and the session carries on; a fatal code closes it', async () => {
    const h = harness();
    h.say(20, 0);
    h.session.handle({ type: 'rejected', code: 'bad_json' });
    h.start(false);
    await h.session.drained();
    h.session.handle({ type: 'audio', data: Uint8Array.of(1, 2, 3) });
    h.start(false);
    expect(h.events.filter((e) => e.type === 'error').map((e) => e.type === 'error' && e.code)).toEqual([
      'not_started',
      'bad_json',
      'bad_audio',
      'already_started',
    ]);
    // A second handshake in a foreign protocol version is a second handshake, not a fatal error.
    h.session.handle({ type: 'start_refused', code: 'unsupported_protocol', message: 'v2' });
    expect(h.events.at(-1)).toMatchObject({ type: 'error', code: 'already_started', fatal: false });
    expect(h.calls.closed).toBeNull();
    h.session.handle({ type: 'rejected', code: 'unsupported_protocol' });
    expect(h.calls.closed).toEqual({ code: 4001, reason: 'unsupported_protocol' });
  });

  it('control before session.start is refused with not_started (session.end still closes)', async () => {
    const h = harness();
    h.session.handle({ type: 'marker', id: 'early' });
    h.session.handle({ type: 'playback', positionMs: 20 });
    expect(h.events.map((e) => e.type === 'error' && e.code)).toEqual(['not_started', 'not_started']);
    h.session.handle({ type: 'end' });
    await h.session.drained();
    expect(h.calls.closed).toEqual({ code: 1000, reason: 'session ended' });
  });

  it('bad messages past the error budget close the connection with too_many_errors (1008)', () => {
    const h = harness({ limits: { errorBudget: { burst: 5, perSecond: 0 } } });
    for (let i = 0; i < 8; i++) h.session.handle({ type: 'rejected', code: 'bad_json' });
    const codes = h.events.map((e) => e.type === 'error' && e.code);
    expect(codes).toEqual([...Array<string>(5).fill('bad_json'), 'too_many_errors']);
    expect(h.calls.closed).toEqual({ code: 1008, reason: 'too_many_errors' });
  });

  it('control messages past the rate limit are dropped with rate_limited, and a flood ends in too_many_errors', async () => {
    const h = harness({
      limits: { controlRate: { burst: 3, perSecond: 0 }, errorBudget: { burst: 2, perSecond: 0 } },
    });
    h.start(false);
    await h.session.drained();
    for (let i = 0; i < 6; i++) {
      h.session.handle({ type: 'marker', id: `m${i}` });
      await h.session.drained();
    }
    const types = h.events.map((e) => (e.type === 'error' ? e.code : e.type));
    expect(types.filter((t) => t !== 'ready')).toEqual([
      'marker',
      'marker',
      'rate_limited',
      'rate_limited',
      'too_many_errors',
    ]);
    expect(h.calls.closed).toEqual({ code: 1008, reason: 'too_many_errors' });
  });

  it('server-side errors do not draw on the error budget', () => {
    const h = harness({ limits: { errorBudget: { burst: 1, perSecond: 0 } } });
    h.session.handle({ type: 'rejected', code: 'asr_failed' });
    h.session.handle({ type: 'rejected', code: 'asr_failed' });
    h.session.handle({ type: 'rejected', code: 'bad_json' });
    expect(h.events.map((e) => e.type === 'error' && e.code)).toEqual([
      'asr_failed',
      'asr_failed',
      'bad_json',
    ]);
    expect(h.calls.closed).toBeNull();
  });

  it('an error message quoting client input is cut to a bounded length', () => {
    const h = harness();
    h.session.handle({ type: 'rejected', code: 'invalid_message', message: 'x'.repeat(100_000) });
    const e = h.events[0];
    expect(e.type === 'error' && e.message.length).toBeLessThanOrEqual(200);
  });

  it('a bug while handling one input ends that session with internal (1011), and nothing throws', async () => {
    const h = harness();
    h.start(false);
    await h.session.drained();
    const poisoned = {
      type: 'playback',
      get positionMs(): number {
        throw new Error('boom');
      },
    } as const;
    expect(() => h.session.handle(poisoned)).not.toThrow();
    expect(h.calls.closed).toEqual({ code: 1011, reason: 'internal' });
    expect(h.events.at(-1)).toMatchObject({ type: 'error', code: 'internal', fatal: true });

    const g = harness();
    g.session.handle({ type: 'fault', error: new Error('gateway bug') });
    expect(g.calls.closed).toEqual({ code: 1011, reason: 'internal' });
  });

  it('a first handshake in a foreign protocol version is fatal', () => {
    const h = harness();
    h.session.handle({
      type: 'start_refused',
      code: 'unsupported_protocol',
      message: 'protocol 2 requested',
    });
    expect(h.events[0]).toMatchObject({ type: 'error', code: 'unsupported_protocol', fatal: true });
    expect(h.calls.closed).toEqual({ code: 4001, reason: 'unsupported_protocol' });
  });

  it('an unsupported format is refused with its code, and the caller may start again', async () => {
    const h = harness();
    h.session.handle({
      type: 'start',
      input: { encoding: 'mulaw', sample_rate: 16000 },
      output: { encoding: 'pcm16' },
      greeting: false,
      clock: 'audio',
    });
    await h.session.drained();
    h.start(false);
    await h.session.drained();
    expect(h.types()).toEqual(['error', 'ready']);
    expect(h.events[0]).toMatchObject({ code: 'unsupported_sample_rate', fatal: false });
  });

  it('stops reading when too much audio waits, and reads again once half of it is done', async () => {
    let open!: () => void;
    let gate = new Promise<void>((r) => (open = r));
    const h = harness(
      { maxInputBacklogMs: 200 },
      scriptedVad(() => gate),
    );
    h.start(false);
    await h.session.drained();
    h.say(400, 0);
    expect(h.calls.pause).toBe(1);
    expect(h.calls.resume).toBe(0);
    open();
    gate = Promise.resolve();
    await h.session.drained();
    expect(h.calls.resume).toBe(1);
    expect(h.session.clockMs).toBe(384); // 12 whole 32 ms frames of the 400 ms
  });

  it('a hang-up still processes the audio already accepted', async () => {
    const h = harness();
    h.start(false);
    h.say(300, 0.3);
    h.session.handle({ type: 'hangup' });
    h.say(300, 0.3); // after the hang-up: ignored
    await h.session.drained();
    expect(h.session.clockMs).toBe(288);
  });
});
