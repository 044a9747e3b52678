/**
 * TDM duplex LLM cost per slice on one core (one intra-op thread), banter's own model.
 *
 *   npx tsx bench/tdm.bench.ts [modelDir] [--reps 300]
 *
 * Each measurement starts from a conversation that has replayed the held-out stream fixture
 * (a realistic history of about 200-300 tokens), then times one more slice:
 * - silent slice: `<u> <a>` after the pending decision, one run -> a decision;
 * - caller word: one recognized word in the slice;
 * - end of turn -> first token: the slice that carries the end-of-turn bucket, timed to the
 *   first output the engine yields (the answer's first word or a decision);
 * - speaking slice: a slice in which banter writes 3 word pieces (scripted, so every rep decodes the same);
 * - compaction: dropping the oldest slices and recomputing the cache (once per ~190 tokens).
 * Prints a markdown table (docs/PERFORMANCE.md).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { UserSlice } from '../server/duplex-llm/duplex-model.ts';
import { signalsFromTokens } from '../server/duplex-llm/tdm-stream.ts';
import { argmax } from '../server/duplex-llm/sampling.ts';
import { type TdmConversation, loadTdmModel } from '../server/duplex-llm/tdm-model.ts';
import { ModelRegistry, bundledModelDir } from '../server/models/registry.ts';
import { latencyStats } from './timing.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { reps: { type: 'string', default: '300' } },
});
const dir = positionals[0] ?? bundledModelDir('tdm');
const reps = Number(values.reps);

interface FixtureSlice {
  user_words: string;
  signals: string[];
  start_ms: number;
  end_ms: number;
}
const fixture = JSON.parse(await readFile(path.join(dir, 'stream-fixture.json'), 'utf8')) as {
  slices: FixtureSlice[];
};
const toSlice = (s: FixtureSlice): UserSlice => ({
  text: s.user_words,
  signals: signalsFromTokens(s.signals),
  startMs: s.start_ms,
  endMs: s.end_ms,
});

const registry = new ModelRegistry();
const model = await loadTdmModel(registry, dir);
const tok = JSON.parse(await readFile(path.join(dir, 'tokenizer.json'), 'utf8')) as {
  model: { vocab: Record<string, number> };
};
const never = new AbortController().signal;

async function warmConversation(sampler?: (l: Float32Array) => number): Promise<TdmConversation> {
  const conv = model.createConversation(sampler ? { sampler } : {});
  for (const s of fixture.slices) for await (const _ of conv.step(toSlice(s), never)) void _;
  return conv;
}

/** Times `reps` single slices on the warmed history; every 8 slices the history is rebuilt so its length stays put. */
async function measure(
  make: () => Promise<TdmConversation>,
  slice: UserSlice,
  untilFirst = false,
): Promise<{ ms: number[]; history: number }> {
  const ms: number[] = [];
  let conv = await make();
  const history = conv.tokens().length;
  for (let i = 0; i < reps + 20; i++) {
    const t0 = process.hrtime.bigint();
    for await (const _ of conv.step(slice, never)) {
      void _;
      if (untilFirst) break;
    }
    const dt = Number(process.hrtime.bigint() - t0) / 1e6;
    if (i >= 20) ms.push(dt);
    if (i % 8 === 7) {
      conv.close();
      conv = await make();
    }
  }
  conv.close();
  return { ms, history };
}

const silent: UserSlice = { text: '', signals: [], startMs: 0, endMs: 400 };
const word: UserSlice = { text: 'restaurant', signals: [], startMs: 0, endMs: 400 };
const eot: UserSlice = {
  text: 'please',
  signals: [{ type: 'end_of_turn', probability: 0.95 }],
  startMs: 0,
  endMs: 120,
};
const threeWords = (() => {
  const ids = ['the', 'table', 'is'].map((t) => tok.model.vocab[t]);
  let k = 0;
  // every slice writes "the table is" and then ends it with <u>
  return (l: Float32Array) => (k % 4 === 3 ? (k++, tok.model.vocab['<u>']) : (ids[k++ % 4] ?? argmax(l)));
})();

const rows: [string, { ms: number[]; history: number }][] = [
  ['silent slice', await measure(() => warmConversation(), silent)],
  ['caller word', await measure(() => warmConversation(), word)],
  ['end of turn -> first token', await measure(() => warmConversation(), eot, true)],
  ['speaking slice (3 pieces)', await measure(() => warmConversation(threeWords), silent)],
];

// compaction: a conversation at the edge of the window, one more slice forces the recompute
const compact: number[] = [];
for (let i = 0; i < Math.min(reps, 60); i++) {
  const conv = model.createConversation();
  while (conv.tokens().length < model.maxPositions - 24) for await (const _ of conv.step(word, never)) void _;
  const before = conv.compactions;
  const t0 = process.hrtime.bigint();
  while (conv.compactions === before) for await (const _ of conv.step(word, never)) void _;
  compact.push(Number(process.hrtime.bigint() - t0) / 1e6);
  conv.close();
}

console.log(`TDM model ${model.label}, slice ${model.sliceMs} ms, ${reps} reps, one intra-op thread\n`);
console.log('| slice | history (tokens) | median ms | p90 ms | p99 ms | share of the slice (median) |');
console.log('|---|---|---|---|---|---|');
for (const [name, r] of rows) {
  const s = latencyStats(r.ms);
  console.log(
    `| ${name} | ${r.history} | ${s.median.toFixed(2)} | ${s.p90.toFixed(2)} | ${s.p99.toFixed(2)} | ${((100 * s.median) / model.sliceMs).toFixed(1)}% |`,
  );
}
const c = latencyStats(compact);
console.log(
  `| compaction (drop to half, recompute) | ${model.maxPositions} | ${c.median.toFixed(2)} | ${c.p90.toFixed(2)} | ${c.p99.toFixed(2)} | ${((100 * c.median) / model.sliceMs).toFixed(1)}% |`,
);
await registry.close();
