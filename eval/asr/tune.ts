/**
 * Tunes the beam decoder's LM weight and word bonus on the dev set (validation sentences spoken
 * by training voices: models/training/asr/build_eval.py --only dev), never on a held-out set.
 *
 *   npx tsx eval/asr/tune.ts [--model models/asr] [--lm models/asr/lm.arpa.gz] [--sets DIR]
 *
 * The acoustic model runs once per utterance; each setting re-decodes its log-probabilities.
 * Prints the WER of greedy decoding and of every setting, then the best as JSON.
 */
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { BeamCtcDecoder } from '../../server/asr/ctc-beam-decoder.ts';
import { CtcStream, loadCtcRecognizer } from '../../server/asr/ctc-recognizer.ts';
import { GreedyCtcDecoder, type CtcDecoder } from '../../server/asr/ctc-decoder.ts';
import { ArpaLm } from '../../server/asr/ngram-lm.ts';
import { Fbank } from '../../server/audio/features/fbank.ts';
import { readWav } from '../../server/audio/wav.ts';
import { ModelRegistry } from '../../server/models/registry.ts';
import { countErrors, sumCounts } from './align.ts';
import { DEFAULT_SETS_DIR, readSet } from './evaluate.ts';

const repo = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const { values } = parseArgs({
  options: {
    model: { type: 'string', default: join(repo, 'models/asr') },
    lm: { type: 'string', default: join(repo, 'models/asr/lm.arpa.gz') },
    sets: { type: 'string', default: DEFAULT_SETS_DIR },
    beam: { type: 'string', default: '12' },
  },
});

const registry = new ModelRegistry({ intraOpThreads: 1 });
const rec = await loadCtcRecognizer(values.model, registry, { decoder: 'greedy' });
const manifest = (await registry.load(values.model, 'asr')).manifest as unknown as {
  asr: { symbols: string[]; blank: number; subsampling: number };
};
const { symbols, blank, subsampling } = manifest.asr;
const dir = join(values.sets, 'dev');
const items = readSet(dir);
const cached: { text: string; logProbs: Float32Array; frames: number }[] = [];
for (const item of items) {
  const stream = rec.createStream(() => {}) as CtcStream;
  const fbank = new Fbank({ numMelBins: 80, inputScale: 32768 });
  const feats = fbank.push(readWav(join(dir, item.file)).samples);
  const usable = feats.slice(0, feats.length - (feats.length % subsampling));
  const chunks = await stream.pushFeatures(usable);
  const all = new Float32Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.length;
  }
  cached.push({ text: item.text, logProbs: all, frames: all.length / symbols.length });
  stream.close();
}

function wer(make: () => CtcDecoder): number {
  return sumCounts(
    cached.map((c) => {
      const d = make();
      d.push(c.logProbs, c.frames);
      return countErrors(c.text, d.final().stable);
    }),
  ).wer;
}

const base = { vocab: symbols, blank, separator: ' ', frameMs: 10 * subsampling };
console.log(
  `dev: ${cached.length} utterances; greedy WER ${(100 * wer(() => new GreedyCtcDecoder(base))).toFixed(1)}%`,
);
const lm = ArpaLm.load(values.lm);
let best = { lmWeight: 0, wordBonus: 0, wer: Infinity };
for (const lmWeight of [0.3, 0.5, 0.7, 0.9]) {
  for (const wordBonus of [0, 1, 2, 3]) {
    const w = wer(
      () => new BeamCtcDecoder(lm, { ...base, lmWeight, wordBonus, beamWidth: Number(values.beam) }),
    );
    console.log(`lm_weight ${lmWeight} word_bonus ${wordBonus}: WER ${(100 * w).toFixed(1)}%`);
    if (w < best.wer) best = { lmWeight, wordBonus, wer: w };
  }
}
console.log(
  JSON.stringify({
    beam_width: Number(values.beam),
    lm_weight: best.lmWeight,
    word_bonus: best.wordBonus,
    dev_wer: best.wer,
  }),
);
await registry.close();
