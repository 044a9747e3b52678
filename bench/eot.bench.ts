/**
 * End-of-turn detector latency per call, at 32 and 128 input tokens, one intra-op thread.
 *
 *   npx tsx bench/eot.bench.ts [modelDir] [--calls 2000]
 *
 * "predict" is the whole call the controller makes (normalize + tokenize + ONNX run);
 * "encode" is the text side alone. Prints a markdown table (docs/PERFORMANCE.md).
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { ModelRegistry, bundledModelDir } from '../server/models/registry.ts';
import { type EotDetector, loadEotDetector } from '../server/turn-taking/eot.ts';
import { latencyStats, timeCalls } from './timing.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { calls: { type: 'string', default: '2000' }, warmup: { type: 'string', default: '200' } },
});
const dir = positionals[0] ?? bundledModelDir('eot');
const calls = Number(values.calls);
const warmup = Number(values.warmup);

const WORDS = (
  'so i was thinking that maybe we could go to the restaurant near the station tomorrow evening ' +
  'if they still have a table for four people and then afterwards walk along the river because ' +
  'the weather is supposed to be nice and my sister who is visiting from abroad has never seen it'
).split(' ');

/** A transcript whose encoding (context + utterance) is exactly `tokens` long. */
function transcriptOf(eot: EotDetector, tokens: number, context: string): string {
  const words: string[] = [];
  for (let i = 0; eot.encode(words.join(' '), context).length < tokens; i++)
    words.push(WORDS[i % WORDS.length]);
  while (eot.encode(words.join(' '), context).length > tokens) words.shift();
  return words.join(' ');
}

const time = (fn: () => unknown, n = calls) => timeCalls(fn, n, warmup);

const registry = new ModelRegistry({ intraOpThreads: 1 });
const eot = await loadEotDetector(dir, registry);
const context = 'Sure, what would you like to do tonight?';
const rows: string[] = [];
for (const tokens of [32, 128]) {
  const text = transcriptOf(eot, tokens, context);
  const n = eot.encode(text, context).length;
  const predict = latencyStats(await time(() => eot.predict(text, context)));
  const encode = latencyStats(await time(() => eot.encode(text, context)));
  rows.push(
    `| ${n} | ${predict.median.toFixed(3)} | ${predict.p90.toFixed(3)} | ${predict.p99.toFixed(3)} | ${predict.mean.toFixed(3)} | ${encode.median.toFixed(3)} |`,
  );
}
console.log(`model ${eot.name} ${eot.version} (${eot.contract}) from ${dir}`);
console.log(
  `${os.cpus()[0]?.model ?? 'cpu'}, node ${process.version}, ${calls} calls after ${warmup} warm-up, intraOpThreads 1`,
);
console.log('');
console.log('| tokens | predict median ms | p90 ms | p99 ms | mean ms | encode median ms |');
console.log('|---|---|---|---|---|---|');
for (const r of rows) console.log(r);
await registry.close();
