/**
 * Speech recognition end to end over real WebSockets: fixture speech whose text is known, the
 * real Silero VAD, a real exported recognizer, the real server.
 *
 * The plumbing (partials while the caller speaks, one final per utterance after its speech end,
 * times on the session clock, the final before a close, coded start-up errors) runs on
 * server/asr/testdata/tiny-ctc, whose random weights make its words meaningless but whose graph,
 * frontend and decoder are the real ones. The words are checked against the text with banter's
 * trained model in models/asr; until that model is committed (issue #9) that part is skipped.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import alawmulaw from 'alawmulaw';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wordErrorRate } from '../eval/metrics/wer.ts';
import { startServer, type RunningServer } from './app.ts';
import { floatToInt16, floatToPcm16 } from './audio/pcm.ts';
import { resampleAll } from './audio/resampler.ts';
import { readWav } from './audio/wav.ts';
import { StreamClient, chunkPcm16 } from './testing/stream-client.ts';

interface Truth {
  speech: { startMs: number; endMs: number; text: string }[];
}
const fixture = (name: string) => ({
  audio: readWav(new URL(`../fixtures/audio/${name}.wav`, import.meta.url).pathname).samples,
  truth: JSON.parse(
    readFileSync(new URL(`../fixtures/audio/${name}.json`, import.meta.url), 'utf8'),
  ) as Truth,
});

/**
 * Word error bound for one fixture utterance. The model card's figure over 200 unseen sentences
 * of the caller voices is the real measure; one sentence is noisy, so this bound only catches a
 * recognizer that no longer recognizes (a broken frontend, a wrong model, mis-fed audio).
 */
const MAX_WER = 0.4;

const TINY = new URL('./asr/testdata/tiny-ctc', import.meta.url).pathname;
const TRAINED = new URL('../models/asr', import.meta.url).pathname;
const trained = existsSync(join(TRAINED, 'manifest.json'));
if (!trained)
  console.warn(
    'server/asr-ws.test.ts: no models/asr yet (issue #9); word accuracy over the WebSocket skipped',
  );

function serve(modelPath: string): Promise<RunningServer> {
  return startServer({ port: 0, logger: pino({ level: 'silent' }), asr: { backend: 'banter', modelPath } });
}

async function transcribe(
  server: RunningServer,
  start: Parameters<typeof StreamClient.start>[1],
  frames: Uint8Array[],
): Promise<StreamClient> {
  const client = await StreamClient.start(server.url, { greeting: false, clock: 'audio', ...start });
  await client.stream(frames, 20, false);
  await client.flush();
  await client.close();
  return client;
}

describe('asr.partial and asr.final over the WebSocket (real graph, random weights)', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await serve(TINY);
  });
  afterAll(async () => {
    await server?.close();
  });

  it('partials while the caller speaks, one final per utterance after its speech end, on the session clock', async () => {
    const { audio, truth } = fixture('speech_rms');
    const client = await transcribe(server, {}, chunkPcm16(floatToPcm16(audio), 16000, 20));
    expect(client.messages('session.ready')[0].asr).toBe('tiny-ctc@0.0.1');
    const finals = client.messages('asr.final');
    const ends = client.messages('vad.speech_end');
    expect(finals).toHaveLength(truth.speech.length);
    truth.speech.forEach((seg, i) => {
      expect(finals[i].start_ms).toBeGreaterThanOrEqual(seg.startMs - 400);
      expect(finals[i].t_ms).toBeGreaterThanOrEqual(ends[i].t_ms);
      expect(finals[i].t_ms).toBeLessThanOrEqual(seg.endMs + 600);
      for (const w of finals[i].words) {
        expect(w.start_ms).toBeGreaterThanOrEqual(finals[i].start_ms);
        expect(w.end_ms).toBeLessThanOrEqual(finals[i].t_ms);
      }
    });
    const order = client.events.map((e) => e.message.type).filter((t) => t.startsWith('asr.'));
    expect(order[0]).toBe('asr.partial');
    expect(order.at(-1)).toBe('asr.final');
    const partials = client.messages('asr.partial');
    for (const p of partials) expect(p.text.startsWith(p.stable)).toBe(true);
    // Nothing is recognized outside the speech the VAD accepted (the fixture's silences).
    for (const p of partials)
      expect(truth.speech.some((s) => p.t_ms >= s.startMs - 400 && p.t_ms <= s.endMs + 600)).toBe(true);
    const metrics = await (await fetch(`http://127.0.0.1:${server.port}/metrics`)).text();
    expect(metrics).toMatch(/banter_asr_transcripts_total\{kind="final"\} 2/);
  });

  it('a caller who ends the session mid-sentence still gets that sentence’s final before the close', async () => {
    const { audio, truth } = fixture('speech_rms');
    const cut = Math.round((truth.speech[0].endMs - 600) * 16);
    const client = await StreamClient.start(server.url, { greeting: false, clock: 'audio' });
    await client.stream(chunkPcm16(floatToPcm16(audio.subarray(0, cut)), 16000, 20), 20, false);
    client.sendJson({ type: 'session.end' });
    const final = await client.waitFor('asr.final');
    expect(final.message.t_ms).toBeLessThanOrEqual(cut / 16 + 32);
    await client.close();
  });
});

describe.skipIf(!trained)("words over the WebSocket (banter's trained model)", () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await serve(TRAINED);
  });
  afterAll(async () => {
    await server?.close();
  });

  it('transcribes a caller voice it never trained on', async () => {
    const { audio, truth } = fixture('speech_rms');
    const client = await transcribe(server, {}, chunkPcm16(floatToPcm16(audio), 16000, 20));
    const finals = client.messages('asr.final');
    expect(finals).toHaveLength(truth.speech.length);
    truth.speech.forEach((seg, i) => {
      const wer = wordErrorRate(seg.text, finals[i].text);
      expect(wer, `"${finals[i].text}" for "${seg.text}"`).toBeLessThanOrEqual(MAX_WER);
    });
  });

  it('hears telephone audio: 8 kHz mu-law in', async () => {
    const { audio, truth } = fixture('speech_scotland');
    const at8k = await resampleAll(audio, 16000, 8000);
    const mulaw = alawmulaw.mulaw.encode(floatToInt16(at8k));
    const frames: Uint8Array[] = [];
    for (let at = 0; at < mulaw.length; at += 160) frames.push(mulaw.subarray(at, at + 160));
    const client = await transcribe(server, { input: { encoding: 'mulaw', sample_rate: 8000 } }, frames);
    const finals = client.messages('asr.final');
    expect(finals).toHaveLength(truth.speech.length);
    const wer = wordErrorRate(truth.speech.map((s) => s.text).join(' '), finals.map((f) => f.text).join(' '));
    expect(wer, finals.map((f) => f.text).join(' | ')).toBeLessThanOrEqual(MAX_WER + 0.1);
  });
});

describe('ASR model folder checks at start-up', () => {
  it('a corrupt or mismatched model folder is the registry’s coded start-up error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'banter-asr-'));
    cpSync(TINY, dir, { recursive: true });
    writeFileSync(join(dir, 'model.onnx'), 'truncated');
    const log = pino({ level: 'silent' });
    await expect(
      startServer({ port: 0, logger: log, asr: { backend: 'banter', modelPath: dir } }),
    ).rejects.toMatchObject({
      name: 'ModelError',
      code: 'model_corrupt',
    });
    // The EoT model folder is a valid folder of another kind: refused as a mismatch.
    const eot = new URL('../models/eot', import.meta.url).pathname;
    await expect(
      startServer({ port: 0, logger: log, asr: { backend: 'banter', modelPath: eot } }),
    ).rejects.toMatchObject({
      name: 'ModelError',
      code: 'model_mismatch',
    });
    await expect(
      startServer({ port: 0, logger: log, asr: { backend: 'banter', modelPath: join(dir, 'nope') } }),
    ).rejects.toMatchObject({ name: 'ModelError', code: 'model_missing' });
  });

  it('asr.backend none runs the server on the VAD alone', async () => {
    const quiet = await startServer({ port: 0, logger: pino({ level: 'silent' }), asr: { backend: 'none' } });
    try {
      const { audio } = fixture('speech_rms');
      const client = await StreamClient.start(quiet.url, { greeting: false, clock: 'audio' });
      expect(client.messages('session.ready')[0].asr).toBeNull();
      await client.stream(chunkPcm16(floatToPcm16(audio), 16000, 20), 20, false);
      await client.flush();
      expect(client.messages('vad.speech_end')).toHaveLength(2);
      expect(client.messages('asr.final')).toHaveLength(0);
      await client.close();
    } finally {
      await quiet.close();
    }
  });
});
