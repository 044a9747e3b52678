/**
 * The browser client in real Chromium against the real server. Chromium's
 * fake microphone loops fixtures/audio/barge_in.wav, whose speech (from
 * 1.6 s) talks over the greeting: the page must hear it, drop its queued
 * greeting on audio.clear, keep reporting where playback stands, and show
 * what the server heard.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../server/app.ts';
import { CHROMIUM_ARGS, CHROMIUM_PATH, chromiumAvailable } from '../server/testing/chromium.ts';
import { ClientMessage, type ServerMessageOf } from '../server/protocol/messages.ts';
import { wordErrorRate } from '../eval/metrics/wer.ts';
import { buildClient } from './build.ts';
import type { DebugState } from './src/voice-client.ts';

const CHROMIUM = CHROMIUM_PATH;
const hasChromium = chromiumAvailable();
const TRAINED_ASR = fileURLToPath(new URL('../models/asr', import.meta.url));
const TINY_ASR = fileURLToPath(new URL('../server/asr/testdata/tiny-ctc', import.meta.url));
const MIC_WAV = fileURLToPath(new URL('../fixtures/audio/barge_in.wav', import.meta.url));
/** greeting.wav lasts 3100 ms: 155 frames of 20 ms. */
const GREETING_MS = 3100;

if (!hasChromium)
  console.warn(`client/client.test.ts skipped: no Chromium at ${CHROMIUM} (apt-get install -y chromium)`);

/** The page's window with the client's debug hook (page functions are serialised: no closures). */
type Hooked = Window & { banter: DebugState };

interface WireLog {
  /** Every JSON message the page sent, validated with the shared schema. */
  messages: ClientMessage[];
  /** Sizes of the binary (microphone) frames the page sent, bytes. */
  audioFrameBytes: number[];
}

describe.skipIf(!hasChromium)('browser client in Chromium', () => {
  let server: RunningServer;
  let browser: Browser;

  beforeAll(async () => {
    await buildClient();
    // banter's trained recognizer once it is committed (issue #9); until then the tiny test model,
    // whose words mean nothing but whose transcripts travel the same way.
    const asrModel = existsSync(join(TRAINED_ASR, 'manifest.json')) ? TRAINED_ASR : TINY_ASR;
    server = await startServer({
      port: 0,
      logger: pino({ level: 'silent' }),
      asr: { backend: 'banter', modelPath: asrModel },
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        ...CHROMIUM_ARGS,
        '--use-fake-ui-for-media-stream',
        '--use-fake-device-for-media-stream',
        `--use-file-for-fake-audio-capture=${MIC_WAV}`,
        '--autoplay-policy=no-user-gesture-required',
      ],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  /** Opens the page, records its WebSocket traffic, clicks Start and waits for the barge-in to complete. */
  async function bargeIn(query: string): Promise<{ page: Page; wire: WireLog; pageErrors: string[] }> {
    const page = await browser.newPage();
    const wire: WireLog = { messages: [], audioFrameBytes: [] };
    const pageErrors: string[] = [];
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('websocket', (ws) =>
      ws.on('framesent', ({ payload }) => {
        if (typeof payload === 'string') wire.messages.push(ClientMessage.parse(JSON.parse(payload)));
        else wire.audioFrameBytes.push(payload.length);
      }),
    );
    await page.goto(`http://127.0.0.1:${server.port}/${query}`);
    await page.click('#start');
    await page.waitForFunction(
      () => (window as unknown as Hooked).banter.clears[0]?.positionMs != null,
      null,
      { timeout: 20_000 },
    );
    return { page, wire, pageErrors };
  }

  const debugOf = (page: Page) => page.evaluate(() => structuredClone((window as unknown as Hooked).banter));

  async function expectBargeIn(page: Page, wire: WireLog, pageErrors: string[], frameBytes: number) {
    const d = await debugOf(page);
    const types = d.events.map((e) => e.message.type);
    expect(pageErrors).toEqual([]);
    expect(d.invalidMessages).toBe(0);
    expect(types).not.toContain('error');

    // Handshake.
    expect(types[0]).toBe('session.ready');
    expect(d.state).toBe('running');
    const start = wire.messages[0];
    expect(start).toMatchObject({
      type: 'session.start',
      protocol: 1,
      input: { encoding: 'pcm16', sample_rate: d.wireRate },
    });

    // The caller was heard: the mic streamed 20 ms PCM16 frames and the VAD fired.
    expect(d.micFramesSent).toBeGreaterThan(0);
    expect(new Set(wire.audioFrameBytes)).toEqual(new Set([frameBytes]));
    const speechAt = types.indexOf('vad.speech_start');
    expect(speechAt).toBeGreaterThan(0);

    // The greeting was playing, then the server cleared it.
    const greeting = d.events
      .map((e) => e.message)
      .find((m): m is ServerMessageOf<'output.start'> => m.type === 'output.start')!;
    expect(greeting).toMatchObject({ kind: 'greeting', output_ms: 0 });
    const clearAt = types.indexOf('audio.clear');
    expect(clearAt).toBeGreaterThan(speechAt);
    expect(d.clears).toHaveLength(1);
    const [clear] = d.clears;
    expect(clear.message.id).toBe(greeting.id);
    expect(d.events[clearAt + 1].message).toMatchObject({ type: 'output.end', reason: 'interrupted' });
    // The client's output axis matches the server's: the clear lands where received audio ends.
    expect(clear.receivedMs).toBe(clear.message.output_ms);
    expect(clear.receivedMs).toBeLessThan(GREETING_MS);
    // Playback had got going (how far depends on how long Start took: the fake mic starts at getUserMedia),
    // and stopped short of what was received: the rest was dropped.
    expect(clear.positionMs).toBeGreaterThan(0);
    expect(clear.positionMs!).toBeLessThan(clear.receivedMs);
    expect(clear.framesDropped).toBeGreaterThanOrEqual(1);
    expect(clear.droppedMs!).toBeCloseTo(clear.receivedMs - clear.positionMs!, 0);

    // Nothing plays after the clear.
    await page.waitForTimeout(400);
    const later = await debugOf(page);
    expect(later.framesPlayed).toBe(d.framesPlayed);
    expect(later.positionMs).toBe(clear.positionMs);
    expect(later.playing).toBe(false);

    // Playback reports: every ~100 ms while playing, then right after the clear; the same ones on the wire.
    const reports = wire.messages.flatMap((m) => (m.type === 'playback' ? [m.position_ms] : []));
    expect(reports).toEqual(later.reports);
    expect(reports.length).toBeGreaterThanOrEqual(Math.floor(clear.positionMs! / 100) - 1);
    expect(reports).toEqual([...reports].sort((a, b) => a - b));
    expect(reports.at(-1)).toBe(Math.floor(clear.positionMs!));
    // The server accepted every report (a bad one would have drawn an `error` event, checked above), and its
    // estimate of what was heard, anchored on the last report before the clear, agrees with the client.
    expect(Math.abs(clear.message.heard_ms - clear.positionMs!)).toBeLessThan(100);
    return later;
  }

  it('runs at 16 kHz by default (the browser resamples the devices), hears the caller and handles the barge-in', async () => {
    const { page, wire, pageErrors } = await bargeIn('');
    const d = await expectBargeIn(page, wire, pageErrors, 640);
    expect(d).toMatchObject({ contextRate: 16000, wireRate: 16000 });
    // What the server heard comes back as transcripts, and the page shows the final one.
    await page.waitForFunction(
      () => (window as unknown as Hooked).banter.events.some((e) => e.message.type === 'asr.final'),
      null,
      { timeout: 20_000 },
    );
    const heard = (await debugOf(page)).events.find((e) => e.message.type === 'asr.final')!;
    const text = (heard.message as ServerMessageOf<'asr.final'>).text;
    if (existsSync(join(TRAINED_ASR, 'manifest.json')))
      expect(wordErrorRate('wait stop i have a question', text), text).toBeLessThanOrEqual(0.5);
    // The mic loops its file, so the next utterance's partial ("…") may already have replaced it.
    expect(await page.textContent('#heard')).toMatch(new RegExp(`^(${text}|.*…)$`));

    const dir = process.env.BANTER_SCREENSHOT_DIR ?? mkdtempSync(join(tmpdir(), 'banter-client-'));
    const shot = join(dir, 'client.png');
    await page.screenshot({ path: shot, fullPage: true });
    console.info(`client screenshot: ${shot}`);
    await page.close();
  });

  it('streams at the AudioContext rate when the server speaks it (48 kHz)', async () => {
    const { page, wire, pageErrors } = await bargeIn('?rate=48000');
    const d = await expectBargeIn(page, wire, pageErrors, 1920);
    expect(d).toMatchObject({ contextRate: 48000, wireRate: 48000 });
    await page.click('#stop');
    await page.waitForFunction(() => (window as unknown as Hooked).banter.state === 'closed');
    expect(wire.messages.at(-1)).toEqual({ type: 'session.end' });
    expect((await debugOf(page)).closeCode).toBe(1000);
    await page.close();
  });
});
