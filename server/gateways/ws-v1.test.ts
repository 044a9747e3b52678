import { describe, expect, it } from 'vitest';
import { ServerMessage, SERVER_MESSAGE_TYPES } from '../protocol/messages.ts';
import type { SessionEvent } from '../session/events.ts';
import { parseTextFrame, toWireMessage } from './ws-v1.ts';

const everyEvent: Record<SessionEvent['type'], SessionEvent> = {
  ready: {
    type: 'ready',
    sessionId: 's',
    input: { encoding: 'pcm16', sample_rate: 16000 },
    output: { encoding: 'opus', sampleRate: 48000, frameMs: 20 },
    vad: 'silero-v5',
    asr: 'banter-asr@1.0.0',
    clock: 'audio',
    atMs: 0,
  },
  speech_start: { type: 'speech_start', atMs: 1600 },
  speech_end: { type: 'speech_end', atMs: 2400, startMs: 1600 },
  output_start: { type: 'output_start', id: 'g', kind: 'greeting', atMs: 0, outputMs: 0 },
  output_end: { type: 'output_end', id: 'g', reason: 'interrupted', atMs: 1700, outputMs: 1820 },
  audio_clear: { type: 'audio_clear', id: 'g', atMs: 1700, outputMs: 1820, heardMs: 1690 },
  transcript: {
    type: 'transcript',
    transcript: {
      kind: 'final',
      stable: 'hello there',
      unstable: '',
      words: [
        { text: 'hello', startMs: 1630, endMs: 1900 },
        { text: 'there', startMs: 1960, endMs: 2300, confidence: 0.9 },
      ],
      startMs: 1630,
      endMs: 2400,
    },
  },
  marker: { type: 'marker', id: 'm1', atMs: 3000 },
  speaker: { type: 'speaker', event: 'primary', atMs: 5230.6, startMs: 4960, score: 0.41234 },
  timeline: {
    type: 'timeline',
    event: 'paused',
    atMs: 5100.4,
    id: 'reply-1',
    text: 'sure i can',
    heardMs: 812.6,
  },
  error: { type: 'error', code: 'bad_audio', message: 'x', fatal: false },
};

/** A transcript event is a partial or a final on the wire: the partial, beside the final above. */
const partial: SessionEvent = {
  type: 'transcript',
  transcript: {
    kind: 'partial',
    stable: 'hello',
    unstable: 'th',
    words: [
      { text: 'hello', startMs: 1630, endMs: 1900 },
      { text: 'th', startMs: 1960, endMs: 2050 },
    ],
    startMs: 1630,
    endMs: 2080,
  },
};

describe('protocol v1 gateway', () => {
  it('every session event becomes a valid v1 message, and every v1 server message type is produced', () => {
    const types = [...Object.values(everyEvent), partial].map((e) => {
      const wire = toWireMessage(e);
      expect(ServerMessage.parse(JSON.parse(JSON.stringify(wire)))).toEqual(wire);
      return wire.type;
    });
    expect(new Set(types)).toEqual(new Set(SERVER_MESSAGE_TYPES));
    expect(toWireMessage(everyEvent.audio_clear)).toEqual({
      type: 'audio.clear',
      id: 'g',
      t_ms: 1700,
      output_ms: 1820,
      heard_ms: 1690,
    });
    expect(toWireMessage(partial)).toEqual({
      type: 'asr.partial',
      t_ms: 2080,
      start_ms: 1630,
      text: 'hello th',
      stable: 'hello',
      unstable: 'th',
    });
    expect(toWireMessage(everyEvent.transcript)).toMatchObject({
      type: 'asr.final',
      text: 'hello there',
      words: [
        { word: 'hello', start_ms: 1630, end_ms: 1900 },
        { word: 'there', start_ms: 1960, end_ms: 2300, confidence: 0.9 },
      ],
    });
  });

  it('client messages become typed session inputs, with the handshake defaults filled in', () => {
    const start = { type: 'session.start', protocol: 1, input: { encoding: 'mulaw', sample_rate: 8000 } };
    expect(parseTextFrame(JSON.stringify(start))).toEqual({
      type: 'start',
      input: { encoding: 'mulaw', sample_rate: 8000 },
      output: { encoding: 'pcm16' },
      greeting: true,
      clock: 'realtime',
    });
    expect(parseTextFrame(JSON.stringify({ ...start, greeting: false, clock: 'audio' }))).toMatchObject({
      greeting: false,
      clock: 'audio',
    });
    expect(parseTextFrame('{"type":"playback","position_ms":1250}')).toEqual({
      type: 'playback',
      positionMs: 1250,
    });
    expect(parseTextFrame('{"type":"marker","id":"m"}')).toEqual({ type: 'marker', id: 'm' });
    expect(parseTextFrame('{"type":"session.end"}')).toEqual({ type: 'end' });
  });

  it('what is not valid v1 becomes a coded rejection', () => {
    expect(parseTextFrame('{nope')).toEqual({ type: 'rejected', code: 'bad_json' });
    expect(parseTextFrame('null')).toMatchObject({ type: 'rejected', code: 'unknown_type' });
    expect(parseTextFrame('{"type":"dance"}')).toMatchObject({ type: 'rejected', code: 'unknown_type' });
    expect(parseTextFrame('{"type":"playback","position_ms":-1}')).toMatchObject({
      type: 'rejected',
      code: 'invalid_message',
    });
    expect(
      parseTextFrame(
        JSON.stringify({
          type: 'session.start',
          protocol: 2,
          input: { encoding: 'pcm16', sample_rate: 16000 },
        }),
      ),
    ).toMatchObject({ type: 'start_refused', code: 'unsupported_protocol' });
  });
});

describe('parseTextFrame on hostile input', () => {
  it('survives a 10 kB message of nested arrays as its type (this once overflowed the stack and killed the process)', () => {
    const depth = 5000;
    const frame = `{"type":${'['.repeat(depth)}${']'.repeat(depth)}}`;
    expect(parseTextFrame(frame)).toEqual({
      type: 'rejected',
      code: 'unknown_type',
      message: 'unknown message type (array); ignored',
    });
  });

  it('never quotes unbounded client input back', () => {
    const long = 'x'.repeat(100_000);
    for (const frame of [
      JSON.stringify({ type: long }),
      JSON.stringify({ type: 'session.start', protocol: 1, input: { encoding: long, sample_rate: 16000 } }),
      JSON.stringify({ type: 'marker', id: long }),
      JSON.stringify({ type: 'session.start', protocol: 1, input: { [long]: 1 } }),
    ]) {
      const input = parseTextFrame(frame);
      expect(input.type).toBe('rejected');
      expect(input.type === 'rejected' && (input.message ?? '').length).toBeLessThan(300);
    }
  });
});
