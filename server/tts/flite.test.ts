/**
 * The flite baseline synthesizer, for real: the WASI engine in its worker, streamed text, word
 * positions, abort. Intelligibility is judged by an independent recognizer (Debian's
 * pocketsphinx) where it is installed.
 */
import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { loadPocketsphinxRecognizer, PocketsphinxOptions } from '../asr/pocketsphinx-recognizer.ts';
import type { Transcript } from '../asr/recognizer.ts';
import { concatFloat32 } from '../audio/buffers.ts';
import { msForSamples } from '../audio/rates.ts';
import { wordErrorRate } from '../../eval/metrics/wer.ts';
import { ClauseChunker } from './clauses.ts';
import {
  estimateWords,
  FliteEngine,
  FliteOptions,
  FliteSynthesizer,
  trimSilence,
  voicedSpan,
} from './flite.ts';
import type { SynthesisChunk } from './synthesizer.ts';

const engine = new FliteEngine();
afterAll(() => engine.close());
const hasPocketsphinx = !spawnSync('pocketsphinx_continuous', ['-h']).error;

async function* deltas(text: string): AsyncIterable<string> {
  // As the LLM writes: a word (and its space) at a time.
  for (const word of text.split(' ')) yield word + ' ';
}

async function collect(it: AsyncIterable<SynthesisChunk>): Promise<SynthesisChunk[]> {
  const out: SynthesisChunk[] = [];
  for await (const c of it) out.push(c);
  return out;
}

describe('clause chunker', () => {
  it('cuts at punctuation, at the word limits, and never inside a word that may still grow', () => {
    const c = new ClauseChunker({ firstMaxWords: 3, maxWords: 5 });
    expect(c.push('Sure, I')).toEqual(['Sure,']);
    expect(c.push(' can bo')).toEqual([]);
    expect(c.push('ok it ')).toEqual([]);
    expect(c.push('for you. Tonight at eight ')).toEqual(['I can book it for', 'you.']);
    expect(c.push('o')).toEqual([]);
    expect(c.flush()).toEqual(['Tonight at eight o']);
    expect(c.flush()).toEqual([]);
  });

  it('says whether a first clause is waiting', () => {
    const c = new ClauseChunker({ firstMaxWords: 3, maxWords: 5 });
    expect(c.waitingForFirst).toBe(false);
    c.push(' ');
    expect(c.waitingForFirst).toBe(false);
    c.push('Sure ');
    expect(c.waitingForFirst).toBe(true);
    expect(c.flush()).toEqual(['Sure']);
    c.push('more ');
    expect(c.waitingForFirst).toBe(false);
  });
});

describe('flite synthesizer', () => {
  it('speaks streamed text in chunks, with every word placed in order inside the audio', async () => {
    const text = 'Sure, I can book a table for two at seven tonight. Anything else?';
    const synth = new FliteSynthesizer(engine, FliteOptions.parse({}));
    const chunks = await collect(synth.synthesize(deltas(text), new AbortController().signal));
    const total = msForSamples(chunks.reduce((n, c) => n + c.pcm.length, 0));
    expect(total).toBeGreaterThan(2500);
    expect(total).toBeLessThan(8000);
    expect(chunks.every((c) => msForSamples(c.pcm.length) <= 100.01)).toBe(true);
    const words = chunks.flatMap((c) => c.words);
    expect(words.map((w) => w.text).join(' ')).toBe(text);
    for (let i = 1; i < words.length; i++)
      expect(words[i].startMs).toBeGreaterThanOrEqual(words[i - 1].endMs - 1);
    expect(words.at(-1)!.endMs).toBeLessThanOrEqual(total);
  });

  it('says a short first clause when the text pauses (a slice of the duplex model) instead of waiting for its third word', async () => {
    let release!: () => void;
    const later = new Promise<void>((resolve) => (release = resolve));
    async function* slices(): AsyncIterable<string> {
      yield 'Sure ';
      await later; // the next slice's words come 400 ms later
      yield 'I can help. ';
    }
    const synth = new FliteSynthesizer(engine, FliteOptions.parse({}));
    const got: SynthesisChunk[] = [];
    for await (const c of synth.synthesize(slices(), new AbortController().signal)) {
      got.push(c);
      if (got.length === 1) release();
    }
    expect(got[0].words.map((w) => w.text)).toEqual(['Sure']);
    expect(got.flatMap((c) => c.words).map((w) => w.text)).toEqual(['Sure', 'I', 'can', 'help.']);
    // With the wait off, the first audio waits for the clause: nothing comes until the text does.
    const patient = new FliteSynthesizer(engine, FliteOptions.parse({ firstClauseWaitMs: 0 }));
    let sent = false;
    async function* slow(): AsyncIterable<string> {
      yield 'Sure ';
      await new Promise((resolve) => setTimeout(resolve, 300));
      sent = true;
      yield 'I can help. ';
    }
    for await (const c of patient.synthesize(slow(), new AbortController().signal)) {
      expect(sent).toBe(true);
      expect(c.words[0]?.text ?? 'Sure').toBe('Sure');
      break;
    }
  });

  it("trims flite's padding: a reply starts within 40 ms of its audio, and clauses are 0.1-0.25 s apart", async () => {
    const synth = new FliteSynthesizer(engine, FliteOptions.parse({}));
    const chunks = await collect(
      synth.synthesize(deltas('Sure, I can help you with that.'), new AbortController().signal),
    );
    const pcm = concatFloat32(chunks.map((c) => c.pcm));
    expect(msForSamples(voicedSpan(pcm).start)).toBeLessThanOrEqual(40);
    // The silence between "Sure," and the next clause: the longest quiet run inside the voiced span.
    const frame = 160;
    let run = 0;
    let longest = 0;
    const { start, end } = voicedSpan(pcm);
    for (let at = start; at + frame <= end; at += frame) {
      let sum = 0;
      for (let i = at; i < at + frame; i++) sum += pcm[i] * pcm[i];
      run = Math.sqrt(sum / frame) < 10 ** (-45 / 20) ? run + 1 : 0;
      longest = Math.max(longest, run);
    }
    expect(longest * 10).toBeGreaterThanOrEqual(100);
    expect(longest * 10).toBeLessThanOrEqual(250);
    const padded = await engine.synthesize('Sure,', 'slt');
    expect(msForSamples(voicedSpan(padded).start)).toBeGreaterThan(100); // what flite itself gives
    // The span trimSilence hands to word placement is the trimmed audio's own.
    const trimmed = trimSilence(padded, 20, 150);
    expect(trimmed.span).toEqual(voicedSpan(trimmed.pcm));
    expect(msForSamples(trimmed.span.start)).toBeLessThanOrEqual(30);
  });

  it('stops when its signal aborts, with nothing more after', async () => {
    const synth = new FliteSynthesizer(engine, FliteOptions.parse({}));
    const abort = new AbortController();
    const got: SynthesisChunk[] = [];
    for await (const c of synth.synthesize(
      deltas('one two three four five six seven eight nine ten.'),
      abort.signal,
    )) {
      got.push(c);
      if (got.length === 3) abort.abort();
    }
    expect(got).toHaveLength(3);
  });

  it('word positions share the voiced span by letters', () => {
    const pcm = new Float32Array(16000);
    pcm.fill(0.1, 1600, 14400); // voiced from 100 ms to 900 ms
    const words = estimateWords('a bbb', pcm);
    expect(words).toEqual([
      { text: 'a', startMs: 100, endMs: 367 },
      { text: 'bbb', startMs: 367, endMs: 900 },
    ]);
  });

  it.skipIf(!hasPocketsphinx)(
    'is intelligible to an independent recognizer',
    async () => {
      const text = 'i would like to book a table for two tomorrow evening';
      const pcm = await engine.synthesize(text, 'slt');
      const rec = loadPocketsphinxRecognizer(PocketsphinxOptions.parse({}));
      const got: Transcript[] = [];
      const stream = rec.createStream((t) => got.push(t));
      await stream.push(pcm, 0);
      await stream.endpoint();
      stream.close();
      expect(wordErrorRate(text, got[0].stable)).toBeLessThan(0.35);
    },
    20_000,
  );
});
