/**
 * The recognizer's evaluation command: banter's streaming recognizer, exactly as the server runs
 * it (ONNX graph, TypeScript fbank, chunking, greedy CTC decoding), against Debian's pocketsphinx
 * (en-us) on the same audio, over the sets models/training/asr/build_eval.py writes.
 *
 *   npx tsx eval/asr/evaluate.ts [--sets DIR] [--model DIR] [--out FILE] [--limit N] [--no-baseline]
 *                                [--greedy] [--only set,set]
 *
 * pocketsphinx's hypotheses and the forced alignments depend only on the audio: they are kept
 * beside each set (*.cache.json) and reused until build_eval.py rebuilds the set.
 *
 * Reports per set: WER and CER of both (corpus level: edits summed over the set, divided by the
 * reference's words or characters), fsdd digit accuracy, banter's real-time factor, and the
 * partial-transcript delay on the held-out clean set: for each reference word, the audio clock
 * of the first partial that has it right minus the word's end in the audio, which pocketsphinx
 * finds by forced alignment to the reference (forced-align.ts). Writes JSON (--out) whose
 * figures go into models/asr/metrics.json and the model card.
 */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadCtcRecognizer } from '../../server/asr/ctc-recognizer.ts';
import type { Recognizer, Transcript } from '../../server/asr/recognizer.ts';
import { samplesForMs } from '../../server/audio/rates.ts';
import { readWav } from '../../server/audio/wav.ts';
import { ModelRegistry } from '../../server/models/registry.ts';
import { ensurePocketsphinx, pocketsphinxBatch } from '../metrics/asr.ts';
import { percentile } from '../metrics/stats.ts';
import { countErrors, matchedReference, sumCounts, words, type ErrorCounts } from './align.ts';
import { forcedAlign } from './forced-align.ts';

const repo = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const DEFAULT_SETS_DIR = join(repo, 'models/training/runs/asr/eval');
export const SETS = ['heldout-clean', 'heldout-10db', 'callers', 'telephone', 'fsdd-theo'] as const;
/** Audio handed to the recognizer per push, ms: what a 20 ms WebSocket frame gives the server. */
const PUSH_MS = 20;

interface Item {
  file: string;
  text: string;
  voice: string;
}

export function readSet(dir: string): Item[] {
  return readFileSync(join(dir, 'manifest.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Item);
}

interface Heard {
  final: string;
  /** Each partial's audio clock and words. */
  partials: { tMs: number; words: string[] }[];
  audioMs: number;
  computeMs: number;
}

/** One utterance through a fresh stream, pushed in 20 ms pieces, then an endpoint. */
export async function recognize(rec: Recognizer, samples: Float32Array): Promise<Heard> {
  const partials: Heard['partials'] = [];
  let final = '';
  const stream = rec.createStream((t: Transcript) => {
    if (t.kind === 'partial') partials.push({ tMs: t.endMs, words: words(`${t.stable} ${t.unstable}`) });
    else final = t.stable;
  });
  const step = samplesForMs(PUSH_MS);
  const t0 = performance.now();
  for (let at = 0; at < samples.length; at += step)
    await stream.push(samples.subarray(at, at + step), (at * 1000) / 16000);
  await stream.endpoint();
  const computeMs = performance.now() - t0;
  stream.close();
  return { final, partials, audioMs: (samples.length * 1000) / 16000, computeMs };
}

/**
 * A result that depends only on the set's audio (pocketsphinx's hypotheses, the forced
 * alignments), kept beside the set so that evaluating the next model does not redo it; a
 * rebuilt set (build_eval.py rewrites manifest.jsonl) invalidates it.
 */
async function cachedBy<T>(dir: string, name: string, compute: () => Promise<T>): Promise<T> {
  const path = join(dir, `${name}.cache.json`);
  const stamp = statSync(join(dir, 'manifest.jsonl')).mtimeMs;
  if (existsSync(path)) {
    const c = JSON.parse(readFileSync(path, 'utf8')) as { stamp: number; value: T };
    if (c.stamp === stamp) return c.value;
  }
  const value = await compute();
  writeFileSync(path, JSON.stringify({ stamp, value }));
  return value;
}

/** pocketsphinx_batch over a set (one model load): file -> hypothesis. */
async function pocketsphinxSet(dir: string, items: Item[]): Promise<Map<string, string>> {
  const all = await cachedBy(dir, `pocketsphinx-${items.length}`, async () => [
    ...(
      await pocketsphinxBatch(
        dir,
        items.map((i) => i.file),
      )
    ).entries(),
  ]);
  return new Map(all);
}

export interface SetResult {
  set: string;
  utterances: number;
  banter: ErrorCounts & { wer: number; cer: number; accuracy?: number };
  pocketsphinx?: ErrorCounts & { wer: number; cer: number; accuracy?: number };
  rtf: number;
  examples: { ref: string; banter: string; pocketsphinx?: string }[];
}

export interface PartialDelay {
  /** Reference words that some partial got right, whose end the aligner found. */
  words: number;
  /** Reference words in utterances the aligner could align. */
  alignedWords: number;
  utterancesAligned: number;
  utterances: number;
  p50Ms: number;
  p90Ms: number;
  meanMs: number;
}

async function evaluateSet(
  rec: Recognizer,
  dir: string,
  name: string,
  limit: number,
  baseline: boolean,
  delays: number[] | null,
  alignment: { aligned: number; words: number; utterances: number },
): Promise<SetResult> {
  const items = readSet(dir).slice(0, limit);
  const ps = baseline ? await pocketsphinxSet(dir, items) : null;
  const alignments = delays
    ? await cachedBy(dir, `alignments-${items.length}`, async () => {
        const out: Record<string, Awaited<ReturnType<typeof forcedAlign>>> = {};
        for (const item of items) out[item.file] = await forcedAlign(join(dir, item.file), item.text);
        return out;
      })
    : null;
  const mine: ErrorCounts[] = [];
  const theirs: ErrorCounts[] = [];
  let audioMs = 0;
  let computeMs = 0;
  let right = 0;
  let psRight = 0;
  const examples: SetResult['examples'] = [];
  for (const item of items) {
    const path = join(dir, item.file);
    const heard = await recognize(rec, readWav(path).samples);
    audioMs += heard.audioMs;
    computeMs += heard.computeMs;
    mine.push(countErrors(item.text, heard.final));
    const other = ps?.get(item.file) ?? '';
    if (ps) theirs.push(countErrors(item.text, other));
    if (words(heard.final).join(' ') === words(item.text).join(' ')) right++;
    if (words(other).join(' ') === words(item.text).join(' ')) psRight++;
    if (examples.length < 5)
      examples.push({ ref: item.text, banter: heard.final, ...(ps ? { pocketsphinx: other } : {}) });
    if (delays) {
      const aligned = alignments?.[item.file];
      if (!aligned) continue;
      alignment.utterances++;
      alignment.words += aligned.length;
      const ref = aligned.map((w) => w.word);
      const firstSeen = new Array<number | null>(ref.length).fill(null);
      for (const p of heard.partials) {
        matchedReference(ref, p.words).forEach((ok, i) => {
          if (ok && firstSeen[i] === null) firstSeen[i] = p.tMs;
        });
      }
      firstSeen.forEach((t, i) => {
        if (t === null) return;
        alignment.aligned++;
        delays.push(t - aligned[i].endMs);
      });
    }
  }
  const digits = name.startsWith('fsdd');
  return {
    set: name,
    utterances: items.length,
    banter: { ...sumCounts(mine), ...(digits ? { accuracy: right / items.length } : {}) },
    ...(ps
      ? { pocketsphinx: { ...sumCounts(theirs), ...(digits ? { accuracy: psRight / items.length } : {}) } }
      : {}),
    rtf: computeMs / audioMs,
    examples,
  };
}

export async function evaluate(options: {
  setsDir: string;
  modelDir: string;
  limit: number;
  baseline: boolean;
  /** 'manifest': the folder's decoder (beam + LM when it declares one); 'greedy': greedy decoding. */
  decoder?: 'manifest' | 'greedy';
  /** Only these sets (default all). */
  only?: readonly string[];
  log: (line: string) => void;
}): Promise<{ model: string; sets: SetResult[]; partialDelay: PartialDelay | null }> {
  const registry = new ModelRegistry();
  try {
    const rec = await loadCtcRecognizer(options.modelDir, registry, {
      decoder: options.decoder ?? 'manifest',
    });
    const sets: SetResult[] = [];
    let partialDelay: PartialDelay | null = null;
    for (const name of SETS) {
      if (options.only && !options.only.includes(name)) continue;
      const dir = join(options.setsDir, name);
      if (!existsSync(join(dir, 'manifest.jsonl'))) {
        options.log(`${name}: not built (models/training/asr/build_eval.py); skipped`);
        continue;
      }
      const delays = name === 'heldout-clean' ? ([] as number[]) : null;
      const alignment = { aligned: 0, words: 0, utterances: 0 };
      const r = await evaluateSet(rec, dir, name, options.limit, options.baseline, delays, alignment);
      sets.push(r);
      const ps = r.pocketsphinx;
      options.log(
        `${name}: banter WER ${pct(r.banter.wer)} CER ${pct(r.banter.cer)}` +
          (r.banter.accuracy === undefined ? '' : ` accuracy ${pct(r.banter.accuracy)}`) +
          (ps ? ` | pocketsphinx WER ${pct(ps.wer)} CER ${pct(ps.cer)}` : '') +
          (ps?.accuracy === undefined ? '' : ` accuracy ${pct(ps.accuracy)}`) +
          ` | RTF ${r.rtf.toFixed(4)} (${r.utterances} utterances)`,
      );
      if (delays && delays.length > 0) {
        partialDelay = {
          words: alignment.aligned,
          alignedWords: alignment.words,
          utterancesAligned: alignment.utterances,
          utterances: r.utterances,
          p50Ms: percentile(delays, 50),
          p90Ms: percentile(delays, 90),
          meanMs: delays.reduce((a, b) => a + b, 0) / delays.length,
        };
        options.log(
          `partial delay (${partialDelay.words} words): p50 ${partialDelay.p50Ms.toFixed(0)} ms, p90 ${partialDelay.p90Ms.toFixed(0)} ms`,
        );
      }
    }
    return { model: rec.label, sets, partialDelay };
  } finally {
    await registry.close();
  }
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      sets: { type: 'string', default: DEFAULT_SETS_DIR },
      model: { type: 'string', default: join(repo, 'models/asr') },
      out: { type: 'string' },
      limit: { type: 'string', default: '100000' },
      'no-baseline': { type: 'boolean', default: false },
      greedy: { type: 'boolean', default: false },
      only: { type: 'string' },
    },
  });
  const baseline = !values['no-baseline'];
  if (baseline) {
    const ps = ensurePocketsphinx({ install: true, log: console.log });
    if (!ps.available) throw new Error(`the baseline needs pocketsphinx: ${ps.reason}`);
  }
  const result = await evaluate({
    setsDir: values.sets,
    modelDir: values.model,
    limit: Number(values.limit),
    baseline,
    decoder: values.greedy ? 'greedy' : 'manifest',
    only: values.only?.split(','),
    log: (l) => console.log(l),
  });
  const command = `npx tsx eval/asr/evaluate.ts${process.argv.slice(2).length ? ' ' + process.argv.slice(2).join(' ') : ''}`;
  const json = JSON.stringify({ command, ...result }, null, 2);
  if (values.out) writeFileSync(values.out, json + '\n');
  else console.log(json);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
