/**
 * The PocketSphinx bridge against the real decoder on the project's fixtures. Skipped, with a
 * message, where Debian's pocketsphinx is not installed (CI installs it).
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { readWav } from '../audio/wav.ts';
import { ModelError } from '../models/errors.ts';
import {
  loadPocketsphinxRecognizer,
  parsePocketsphinxOutput,
  PocketsphinxOptions,
} from './pocketsphinx-recognizer.ts';
import type { Transcript } from './recognizer.ts';

const installed = !spawnSync('pocketsphinx_continuous', ['-h']).error;
if (!installed)
  console.warn('pocketsphinx-recognizer: pocketsphinx_continuous not installed; decoder tests skipped');

describe('pocketsphinx output', () => {
  it('keeps words with their times and drops fillers and pronunciation variants', () => {
    const words = parsePocketsphinxOutput(
      'book a table\n<s> 0.000 0.020 0.999900\nbook 0.030 0.240 0.625031\n<sil> 0.25 0.3 1\n' +
        'a(2) 0.300 0.350 0.1\n[NOISE] 0.35 0.4 1\ntable 0.400 0.800 1.000200\n</s> 0.8 0.9 1\n',
    );
    expect(words).toEqual([
      { text: 'book', startMs: 30, endMs: 240, confidence: 0.625031 },
      { text: 'a', startMs: 300, endMs: 350, confidence: 0.1 },
      { text: 'table', startMs: 400, endMs: 800, confidence: 1 },
    ]);
  });

  it('a missing binary is a coded start-up error', () => {
    expect(() =>
      loadPocketsphinxRecognizer(PocketsphinxOptions.parse({ binary: '/nonexistent/pocketsphinx' })),
    ).toThrow(ModelError);
  });
});

describe.skipIf(!installed)('pocketsphinx recognizer', () => {
  it('recognizes two utterances of a fixture, each final on the session clock', async () => {
    const wav = readWav(new URL('../../fixtures/audio/speech_rms.wav', import.meta.url).pathname);
    const rec = loadPocketsphinxRecognizer(PocketsphinxOptions.parse({}));
    const got: Transcript[] = [];
    const stream = rec.createStream((t) => got.push(t));
    const meta = [
      { from: 900, to: 4000 },
      { from: 5300, to: 8900 },
    ];
    for (const { from, to } of meta) {
      const audio = wav.samples.subarray((from * 16000) / 1000, (to * 16000) / 1000);
      for (let at = 0; at < audio.length; at += 512) {
        await stream.push(audio.subarray(at, at + 512), from + (at * 1000) / 16000);
      }
      await stream.endpoint();
    }
    stream.close();
    expect(got.map((t) => t.kind)).toEqual(['final', 'final']);
    expect(got[0].stable).toBe("i'd like to book a table for two tomorrow evening");
    expect(got[1].stable).toContain('seven instead');
    // Word times are on the session clock: inside the audio that was pushed for that utterance.
    expect(got[0].words[0].startMs).toBeGreaterThanOrEqual(900);
    expect(got[0].words.at(-1)!.endMs).toBeLessThanOrEqual(4000);
    expect(got[1].words[0].startMs).toBeGreaterThanOrEqual(5300);
    rec.close?.();
  }, 30_000);

  it('an endpoint with no audio gives nothing, and a reset drops the utterance', async () => {
    const wav = readWav(new URL('../../fixtures/audio/speech_rms.wav', import.meta.url).pathname);
    const rec = loadPocketsphinxRecognizer(PocketsphinxOptions.parse({}));
    const got: Transcript[] = [];
    const stream = rec.createStream((t) => got.push(t));
    await stream.endpoint();
    await stream.push(wav.samples.subarray(16000, 32000), 1000);
    stream.reset();
    await stream.endpoint();
    expect(got).toEqual([]);
    stream.close();
  }, 30_000);
});
