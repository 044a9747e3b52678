/**
 * How well banter's codec-LM TTS can be understood, and what it costs: held-out sentences
 * (the TTS data's test split) synthesized through the server's own CodecLmSynthesizer, heard
 * by Debian's pocketsphinx beside the original flite recordings of the same sentences.
 *
 *   npx tsx eval/tts/intelligibility.ts --lm DIR [--codec models/codec] [--set DIR] [--limit N]
 *                                       [--out FILE] [--keep DIR]
 *
 * Reports corpus WER of pocketsphinx on the synthesized and on the original audio, the
 * real-time factor of synthesis on one core (wall time / audio time, all sentences), time to
 * first audio (wall time from the text to the first chunk, per sentence), and LM passes per
 * second of audio.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { concatFloat32 } from '../../server/audio/buffers.ts';
import { PIPELINE_SAMPLE_RATE } from '../../server/audio/rates.ts';
import { writeWav } from '../../server/audio/wav.ts';
import { ModelRegistry } from '../../server/models/registry.ts';
import { loadCodec } from '../../server/tts/codec/onnx-codec.ts';
import { loadCodecLm } from '../../server/tts/codec-lm/codec-lm.ts';
import { CodecLmSynthesizer, CodecLmTtsOptions } from '../../server/tts/codec-lm-synthesizer.ts';
import { emitResult, ensurePocketsphinx, pocketsphinxErrorRates } from '../metrics/asr.ts';
import { percentile } from '../metrics/stats.ts';

const repo = resolve(fileURLToPath(new URL('../..', import.meta.url)));

interface Item {
  file: string;
  text: string;
  words: { word: string; punct: string }[];
}

async function* once(text: string): AsyncIterable<string> {
  yield text;
}

export async function evaluateTts(opts: {
  lm: string;
  codec: string;
  set: string;
  limit?: number;
  keep?: string;
}) {
  const registry = new ModelRegistry({ intraOpThreads: 1 });
  try {
    const lm = await loadCodecLm(opts.lm, registry);
    const { decoder } = await loadCodec(opts.codec, registry);
    const synth = new CodecLmSynthesizer(lm, decoder, CodecLmTtsOptions.parse({ firstClauseWaitMs: 0 }));
    const items = readFileSync(join(opts.set, 'manifest.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Item)
      .slice(0, opts.limit);
    const out = opts.keep ?? mkdtempSync(join(tmpdir(), 'banter-tts-eval-'));
    mkdirSync(out, { recursive: true });
    const firstAudio: number[] = [];
    let wallMs = 0;
    let audioMs = 0;
    for (const item of items) {
      const text = item.words.map((w) => w.word + w.punct).join(' ');
      const t0 = performance.now();
      const parts: Float32Array[] = [];
      let first = -1;
      for await (const chunk of synth.synthesize(once(text), new AbortController().signal)) {
        if (first < 0 && chunk.pcm.length) first = performance.now() - t0;
        parts.push(chunk.pcm);
      }
      wallMs += performance.now() - t0;
      if (first >= 0) firstAudio.push(first);
      const pcm = concatFloat32(parts);
      audioMs += (pcm.length * 1000) / PIPELINE_SAMPLE_RATE;
      writeWav(join(out, item.file), pcm, PIPELINE_SAMPLE_RATE);
    }
    const asr = ensurePocketsphinx({ install: true, log: (l) => console.error(l) });
    const round = (x: number, d = 4) => Math.round(x * 10 ** d) / 10 ** d;
    let wer: Record<string, unknown> = { skipped: asr.reason };
    if (asr.available) {
      const score = async (dir: string) => {
        const { wer, word_errors, words } = await pocketsphinxErrorRates(dir, items);
        return { wer, word_errors, words };
      };
      wer = { original: await score(opts.set), synthesized: await score(out) };
    }
    if (!opts.keep) rmSync(out, { recursive: true, force: true });
    const s = lm.section;
    const fps = decoder.sampleRate / decoder.frameSamples;
    return {
      lm: lm.label,
      codec: decoder.label,
      pattern: s.pattern,
      sentences: items.length,
      audio_s: round(audioMs / 1000, 1),
      rtf: audioMs > 0 ? round(wallMs / audioMs) : null,
      first_audio_ms: {
        median: round(percentile(firstAudio, 50), 1),
        p90: round(percentile(firstAudio, 90), 1),
      },
      passes_per_audio_second: s.pattern === 'flat' ? fps * s.codebooks : fps,
      pocketsphinx: wer,
    };
  } finally {
    await registry.close();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      lm: { type: 'string' },
      codec: { type: 'string', default: join(repo, 'models/codec') },
      set: { type: 'string', default: join(repo, 'models/training/runs/codec/data/test') },
      limit: { type: 'string' },
      out: { type: 'string' },
      keep: { type: 'string' },
    },
  });
  if (!values.lm) throw new Error('--lm DIR: the codec LM folder to evaluate');
  const result = await evaluateTts({
    lm: resolve(values.lm),
    codec: resolve(values.codec!),
    set: resolve(values.set!),
    limit: values.limit ? Number(values.limit) : undefined,
    keep: values.keep ? resolve(values.keep) : undefined,
  });
  emitResult(result, values.out);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await main();
}
