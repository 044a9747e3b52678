import { describe, expect, it } from 'vitest';
import { CLIENT_MESSAGE_TYPES, ClientMessage, SERVER_MESSAGE_TYPES, ServerMessage } from './messages.ts';
import { ERRORS } from './errors.ts';

/** One valid example of every message type: the round-trip test fails when a type is added without one. */
const clientExamples: Record<(typeof CLIENT_MESSAGE_TYPES)[number], unknown> = {
  'session.start': {
    type: 'session.start',
    protocol: 1,
    input: { encoding: 'opus', sample_rate: 48000 },
    output: { encoding: 'mulaw', sample_rate: 8000 },
    greeting: false,
    clock: 'audio',
    enroll_ms: 4000,
  },
  marker: { type: 'marker', id: 'm-1' },
  playback: { type: 'playback', position_ms: 1234.5 },
  'session.end': { type: 'session.end' },
};

const serverExamples: Record<(typeof SERVER_MESSAGE_TYPES)[number], unknown> = {
  'session.ready': {
    type: 'session.ready',
    protocol: 1,
    session_id: 's',
    input: { encoding: 'pcm16', sample_rate: 16000 },
    output: { encoding: 'pcm16', sample_rate: 16000, frame_ms: 20 },
    vad: 'silero-v5',
    asr: null,
    clock: 'realtime',
    t_ms: 0,
  },
  'vad.speech_start': { type: 'vad.speech_start', t_ms: 1024 },
  'vad.speech_end': { type: 'vad.speech_end', t_ms: 3872, start_ms: 1024 },
  'output.start': { type: 'output.start', id: 'g', kind: 'greeting', t_ms: 0, output_ms: 0 },
  'output.end': { type: 'output.end', id: 'g', reason: 'interrupted', t_ms: 10, output_ms: 200 },
  'audio.clear': { type: 'audio.clear', id: 'g', t_ms: 1696, output_ms: 1800, heard_ms: 1681 },
  'asr.partial': {
    type: 'asr.partial',
    t_ms: 1500,
    start_ms: 1030,
    text: 'i want to bo',
    stable: 'i want to',
    unstable: 'bo',
  },
  'turn.event': {
    type: 'turn.event',
    event: 'end_of_turn',
    t_ms: 4100,
    probability: 0.93,
    text: 'i want to book a table',
  },
  'asr.final': {
    type: 'asr.final',
    t_ms: 2100,
    start_ms: 1030,
    text: 'i want to book',
    words: [
      { word: 'i', start_ms: 1030, end_ms: 1090 },
      { word: 'want', start_ms: 1120, end_ms: 1400, confidence: 0.8 },
      { word: 'to', start_ms: 1400, end_ms: 1500 },
      { word: 'book', start_ms: 1530, end_ms: 1900 },
    ],
  },
  speaker: { type: 'speaker', event: 'other', t_ms: 5120, start_ms: 4400, score: 0.081 },
  marker: { type: 'marker', id: 'm-1', t_ms: 4832 },
  error: { type: 'error', code: 'bad_json', message: 'x', fatal: false },
};

describe('protocol v1 messages', () => {
  it.each(Object.entries(clientExamples))(
    'client %s round-trips through JSON unchanged',
    (_type, example) => {
      expect(ClientMessage.parse(JSON.parse(JSON.stringify(example)))).toEqual(example);
    },
  );

  it.each(Object.entries(serverExamples))(
    'server %s round-trips through JSON unchanged',
    (_type, example) => {
      expect(ServerMessage.parse(JSON.parse(JSON.stringify(example)))).toEqual(example);
    },
  );

  it('rejects unknown types, missing fields and extra fields', () => {
    expect(ClientMessage.safeParse({ type: 'nope' }).success).toBe(false);
    expect(ClientMessage.safeParse({ type: 'marker' }).success).toBe(false);
    expect(ClientMessage.safeParse({ type: 'marker', id: 'a', extra: 1 }).success).toBe(false);
    expect(ClientMessage.safeParse({ type: 'playback', position_ms: -1 }).success).toBe(false);
  });

  it('gives every fatal error code a close code', () => {
    for (const [code, spec] of Object.entries(ERRORS)) {
      if (spec.fatal) expect('closeCode' in spec, code).toBe(true);
    }
  });
});
