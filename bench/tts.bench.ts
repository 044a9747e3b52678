/**
 * The codec-LM TTS's patterns side by side (issue 12): for each codec LM folder given (flat,
 * delay, stack-delay of one size and data), on the same held-out sentences and one core:
 * LM passes per second of audio, wall time per second of audio (RTF), time to first audio,
 * and pocketsphinx WER of the synthesized audio, beside two ceilings on the same sentences:
 * the original flite recordings and their codec resynthesis (eval/codec/quality.ts).
 *
 *   npx tsx bench/tts.bench.ts --lm DIR [--lm DIR ...] [--codec models/codec] [--limit 40]
 *
 * Held-out token NLL is the training log's (codec_lm/train.py); it is not recomputed here.
 * Targets: stack-delay wall time at most 0.3x flat's; its WER within 10% relative of flat's
 * and better than delay's; first audio under 120 ms; RTF at most 0.15 for the default.
 * Prints a markdown table (docs/PERFORMANCE.md and docs/tts.md, "Codec-LM TTS").
 */
import os from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_SET, evaluateCodec } from '../eval/codec/quality.ts';
import { evaluateTts } from '../eval/tts/intelligibility.ts';
import { bundledModelDir } from '../server/models/registry.ts';

const { values } = parseArgs({
  options: {
    lm: { type: 'string', multiple: true },
    codec: { type: 'string', default: bundledModelDir('codec') },
    set: { type: 'string', default: DEFAULT_SET },
    limit: { type: 'string', default: '40' },
  },
});
if (!values.lm?.length) throw new Error('--lm DIR (one per variant)');
const limit = Number(values.limit);
const codec = resolve(values.codec!);
const set = resolve(values.set!);

const rows: string[] = [];
let flatRtf: number | null = null;
for (const lm of values.lm) {
  const r = await evaluateTts({ lm: resolve(lm), codec, set, limit });
  const ps = r.pocketsphinx as { synthesized?: { wer: number }; original?: { wer: number } };
  if (r.rtf === null) throw new Error(`${lm} synthesized no audio`);
  if (r.pattern === 'flat') flatRtf = r.rtf;
  rows.push(
    `| ${r.pattern} (${r.lm}) | ${r.passes_per_audio_second} | ${r.rtf.toFixed(3)} | ${flatRtf ? (r.rtf / flatRtf).toFixed(2) : '-'} | ${r.first_audio_ms.median} / ${r.first_audio_ms.p90} | ${ps.synthesized ? (100 * ps.synthesized.wer).toFixed(1) + '%' : 'n/a'} |`,
  );
}
const q = await evaluateCodec({ model: codec, set, limit });
const ps = q.pocketsphinx as Record<string, { wer: number }>;
const K = q.per_codebooks.length;

console.log(
  `TTS patterns on ${limit} held-out sentences, ${os.cpus()[0]?.model ?? 'cpu'}, one intra-op thread`,
);
console.log(
  '| codec LM | passes / s of audio | RTF | wall time vs flat | first audio ms (median / p90) | pocketsphinx WER |',
);
console.log('|---|---|---|---|---|---|');
for (const r of rows) console.log(r);
if (ps.original) {
  console.log(
    `| ceiling: codec resynthesis (${q.codec}, ${K} codebooks) | | | | | ${(100 * ps[`codec_k${K}`].wer).toFixed(1)}% |`,
  );
  console.log(`| ceiling: the original flite slt audio | | | | | ${(100 * ps.original.wer).toFixed(1)}% |`);
}
console.log(`(set: ${join(set)})`);
