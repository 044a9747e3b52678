import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readWav } from '../../server/audio/wav.ts';
import { ensurePocketsphinx, parseTimedOutput, transcribeSegments, wordErrorRate } from './asr.ts';

const asr = ensurePocketsphinx({ install: false });
if (!asr.available) console.warn(`asr.test: ${asr.reason}: recognizer test skipped`);

describe('pocketsphinx output parsing', () => {
  it('keeps words with times, drops sentence marks, silences, fillers and pronunciation variants', () => {
    const out = [
      'hello world',
      '<s> 0.000 0.150 0.999600',
      'hello(2) 0.160 0.500 0.95',
      '<sil> 0.51 0.70 1.0',
      '[NOISE] 0.70 0.80 1.0',
      'world 0.810 1.200 0.5',
      '</s> 1.2 1.3 1.0',
    ].join('\n');
    expect(parseTimedOutput(out)).toEqual([
      { word: 'hello', startSec: 0.16, endSec: 0.5, confidence: 0.95 },
      { word: 'world', startSec: 0.81, endSec: 1.2, confidence: 0.5 },
    ]);
  });
});

describe('word error rate', () => {
  it('counts substitutions, insertions and deletions over reference words', () => {
    expect(wordErrorRate('Hi, this is banter.', 'hi this is banter')).toBe(0);
    expect(wordErrorRate('a b c d', 'a x c d')).toBe(0.25);
    expect(wordErrorRate('a b c d', 'a b c d e')).toBe(0.25);
    expect(wordErrorRate('a b c d', 'a c d')).toBe(0.25);
    expect(wordErrorRate('', '')).toBe(0);
  });
});

describe.skipIf(!asr.available)('pocketsphinx on banter’s greeting', () => {
  it('transcribes the greeting fixture with word times on the recording clock', async () => {
    const wav = readWav(join(import.meta.dirname, '../../fixtures/audio/greeting.wav'));
    // Put the greeting 5 s into a longer recording: times must come back shifted.
    const rec = new Float32Array(wav.samples.length + 6 * 16000);
    rec.set(wav.samples, 5 * 16000);
    const words = await transcribeSegments(rec, 16000, [{ startMs: 5030, endMs: 8060 }]);
    const text = words.map((w) => w.word).join(' ');
    expect(text).toContain('help you today');
    expect(wordErrorRate('Hi, this is banter. How can I help you today?', text)).toBeLessThanOrEqual(0.5);
    expect(words[0].startMs).toBeGreaterThanOrEqual(4850);
    expect(words.at(-1)!.endMs).toBeLessThanOrEqual(8300);
  });
});
