/**
 * The codec's quality, measured on held-out sentences through the server's own ONNX path
 * (server/tts/codec/onnx-codec.ts): encode each sentence, decode it with the first k of K
 * codebooks for every k, and compare with the original.
 *
 *   npx tsx eval/codec/quality.ts [--model models/codec] [--set DIR] [--out FILE] [--limit N]
 *                                 [--keep DIR]   # resynthesized WAVs, to listen to
 *
 * The set is models/training/codec/data.py's test split (flite slt reading assistant
 * sentences of dialogues held out of training; `manifest.jsonl` + WAVs). Figures:
 * - log-mel distance: mean absolute difference of the 80-band Kaldi log-mel energies (25 ms
 *   windows every 10 ms) of original and resynthesized audio, all frames (lower is better);
 * - SI-SDR, dB (scale-invariant signal-to-distortion ratio; waveform match, phase included);
 * - word error rate of Debian's pocketsphinx (en-us) on the original and on the resynthesized
 *   audio, against the text flite read (corpus level): the codec's target is at most 3 points
 *   above the original's;
 * - streaming: the largest sample difference between decoding a frame at a time and decoding
 *   each sentence whole.
 * Timing is in bench/codec.bench.ts, not here.
 */
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { readWav, writeWav } from '../../server/audio/wav.ts';
import { ModelRegistry } from '../../server/models/registry.ts';
import {
  type CodecDecoder,
  type CodeFrames,
  keepCodebooks,
  sliceFrames,
} from '../../server/tts/codec/codec.ts';
import { loadCodec } from '../../server/tts/codec/onnx-codec.ts';
import { emitResult, ensurePocketsphinx, pocketsphinxErrorRates } from '../metrics/asr.ts';
import { bandLevelDifferenceDb, logMelDistance, siSdr } from '../metrics/spectral.ts';

const repo = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const DEFAULT_SET = join(repo, 'models/training/runs/codec/data/test');

interface Item {
  file: string;
  text: string;
}

async function frameByFrame(decoder: CodecDecoder, codes: CodeFrames): Promise<Float32Array> {
  const out = new Float32Array(codes.frames * decoder.frameSamples);
  let state = decoder.initialState();
  for (let t = 0; t < codes.frames; t++) {
    const r = await decoder.decodeChunk(sliceFrames(codes, t, t + 1), state);
    out.set(r.pcm, t * decoder.frameSamples);
    state = r.state;
  }
  return out;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const round = (x: number, d = 4) => Math.round(x * 10 ** d) / 10 ** d;

export async function evaluateCodec(opts: { model: string; set: string; limit?: number; keep?: string }) {
  const registry = new ModelRegistry();
  try {
    const { decoder, encoder } = await loadCodec(opts.model, registry);
    if (!encoder) throw new Error(`${opts.model} has no encoder graph; the evaluation needs one`);
    if (decoder.absentToken === null)
      throw new Error('the codec has no absent token: codebooks 1..k cannot be decoded alone');
    const items = readFileSync(join(opts.set, 'manifest.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Item)
      .slice(0, opts.limit);
    const K = decoder.codebooks;
    const perK = Array.from({ length: K }, () => ({ mel: [] as number[], sdr: [] as number[] }));
    const out = opts.keep ?? mkdtempSync(join(tmpdir(), 'banter-codec-eval-'));
    const dirs = { full: join(out, `k${K}`), four: join(out, 'k4') };
    for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true });
    let streamDiff = 0;
    const bands: number[][] = [];
    let seconds = 0;
    for (const item of items) {
      const wav = readWav(join(opts.set, item.file));
      if (wav.sampleRate !== decoder.sampleRate)
        throw new Error(`${item.file} is ${wav.sampleRate} Hz, the codec ${decoder.sampleRate}`);
      const codes = await encoder.encode(wav.samples);
      const original = wav.samples.subarray(0, codes.frames * decoder.frameSamples);
      seconds += original.length / decoder.sampleRate;
      for (let k = 1; k <= K; k++) {
        const pcm = await decoder.decode(keepCodebooks(codes, k, decoder.absentToken));
        perK[k - 1].mel.push(logMelDistance(pcm, original));
        perK[k - 1].sdr.push(siSdr(pcm, original));
        if (k === K) {
          bands.push(bandLevelDifferenceDb(pcm, original));
          writeWav(join(dirs.full, item.file), pcm, decoder.sampleRate);
          const streamed = await frameByFrame(decoder, codes);
          for (let i = 0; i < pcm.length; i++)
            streamDiff = Math.max(streamDiff, Math.abs(streamed[i] - pcm[i]));
        }
        if (k === Math.min(4, K)) writeWav(join(dirs.four, item.file), pcm, decoder.sampleRate);
      }
    }
    const asr = ensurePocketsphinx({ install: true, log: (l) => console.error(l) });
    let wer: Record<string, unknown> | null = null;
    if (asr.available) {
      const score = (dir: string) => pocketsphinxErrorRates(dir, items);
      const original = await score(opts.set);
      const full = await score(dirs.full);
      const four = await score(dirs.four);
      wer = {
        original,
        [`codec_k${K}`]: full,
        codec_k4: four,
        points_above_original_k: round(100 * (full.wer - original.wer), 2),
        points_above_original_k4: round(100 * (four.wer - original.wer), 2),
      };
    }
    if (!opts.keep) rmSync(out, { recursive: true, force: true });
    return {
      codec: decoder.label,
      set: opts.set.startsWith(repo) ? opts.set.slice(repo.length + 1) : opts.set,
      sentences: items.length,
      audio_s: round(seconds, 1),
      per_codebooks: perK.map((m, i) => ({
        codebooks: i + 1,
        kbps: round(
          ((i + 1) * Math.log2(decoder.codebookSize) * decoder.sampleRate) / decoder.frameSamples / 1000,
          2,
        ),
        log_mel_distance: round(mean(m.mel)),
        si_sdr_db: round(mean(m.sdr), 2),
      })),
      pocketsphinx: wer ?? { skipped: asr.reason },
      streaming_max_abs_diff: streamDiff,
      band_level_db: {
        below_0_7_khz: round(mean(bands.map((b) => b[0])), 2),
        '0_7_to_2_7_khz': round(mean(bands.map((b) => b[1])), 2),
        above_2_7_khz: round(mean(bands.map((b) => b[2])), 2),
      },
    };
  } finally {
    await registry.close();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      model: { type: 'string', default: join(repo, 'models/codec') },
      set: { type: 'string', default: DEFAULT_SET },
      out: { type: 'string' },
      limit: { type: 'string' },
      keep: { type: 'string' },
    },
  });
  const result = await evaluateCodec({
    model: resolve(values.model!),
    set: resolve(values.set!),
    limit: values.limit ? Number(values.limit) : undefined,
    keep: values.keep ? resolve(values.keep) : undefined,
  });
  emitResult(result, values.out);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await main();
}
