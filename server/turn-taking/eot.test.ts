import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelError, ModelRegistry, bundledModelDir } from '../models/registry.ts';
import { type EotDetector, type EotTurn, loadEotDetector, normalizeAsr } from './eot.ts';
import { CHATML_TEMPLATE, livekitText } from './eot-text.ts';

const EOT_DIR = bundledModelDir('eot');
const TESTDATA = fileURLToPath(new URL('./eot-testdata/', import.meta.url));

interface ParityCase {
  transcript: string;
  context: EotTurn[];
  input_ids: number[];
  probability: number;
}
interface TokenizerCase {
  raw: string;
  normalized: string;
  ids: number[];
}

const readJson = async <T>(p: string): Promise<T> => JSON.parse(await readFile(p, 'utf8')) as T;

let registry: ModelRegistry;
let eot: EotDetector;
let tmp: string;

beforeAll(async () => {
  registry = new ModelRegistry();
  eot = await loadEotDetector(EOT_DIR, registry);
  tmp = await mkdtemp(path.join(tmpdir(), 'banter-eot-'));
});
afterAll(async () => {
  await registry.close();
  await rm(tmp, { recursive: true, force: true });
});

describe('banter-eot/1 (models/eot)', () => {
  it('normalizes and tokenizes exactly like the Python training code', async () => {
    const { cases } = await readJson<{ cases: TokenizerCase[] }>(path.join(EOT_DIR, 'tokenizer-parity.json'));
    expect(cases.length).toBeGreaterThan(100);
    const sep = eot.encode('')[0];
    for (const c of cases) {
      expect(normalizeAsr(c.raw), JSON.stringify(c.raw)).toBe(c.normalized);
      const want = [sep, ...c.ids].slice(-eot.maxTokens);
      expect(eot.encode(c.raw), JSON.stringify(c.raw)).toEqual(want);
    }
  });

  it('matches PyTorch outputs within the stored tolerance (1e-4)', async () => {
    const parity = await readJson<{ tolerance: number; cases: ParityCase[] }>(
      path.join(EOT_DIR, 'parity.json'),
    );
    expect(parity.tolerance).toBeLessThanOrEqual(1e-4);
    expect(parity.cases.length).toBeGreaterThan(20);
    let worst = 0;
    for (const c of parity.cases) {
      expect(eot.encode(c.transcript, c.context)).toEqual(c.input_ids);
      const p = await eot.predict(c.transcript, c.context);
      worst = Math.max(worst, Math.abs(p - c.probability));
    }
    expect(worst).toBeLessThan(parity.tolerance);
  });

  it('keeps the last max_tokens tokens, so the end of a long utterance survives', () => {
    const long = 'tell me about the weather '.repeat(60) + 'tomorrow';
    const ids = eot.encode(long, 'How can I help?');
    expect(ids.length).toBe(eot.maxTokens);
    expect(ids.slice(-2)).toEqual(eot.encode('weather tomorrow').slice(-2));
  });

  it('a string context is the previous assistant turn', () => {
    expect(eot.encode('yes', 'Shall I book it?')).toEqual(
      eot.encode('yes', [{ role: 'assistant', text: 'Shall I book it?' }]),
    );
    expect(eot.encode('yes', '')).toEqual(eot.encode('yes'));
  });

  it('scores an unfinished request below a finished one', async () => {
    const ctx = 'What can I do for you?';
    const open = await eot.predict('I would like to book a table for', ctx);
    const done = await eot.predict('I would like to book a table for two tonight please.', ctx);
    expect(open).toBeLessThan(eot.threshold);
    expect(done).toBeGreaterThan(eot.threshold);
  });

  it('is shared: loading the same folder again gives the same detector', async () => {
    expect(await loadEotDetector(EOT_DIR, registry)).toBe(eot);
  });
});

describe('broken model folders fail at load with a coded ModelError', () => {
  async function brokenCopy(name: string, edit: (dir: string) => Promise<void>): Promise<string> {
    const dir = path.join(tmp, name);
    await cp(EOT_DIR, dir, { recursive: true });
    await edit(dir);
    return dir;
  }
  async function codeOf(dir: string): Promise<string> {
    const err = await loadEotDetector(dir, new ModelRegistry()).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ModelError);
    return (err as ModelError).code;
  }
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const patchManifest = (f: (m: Record<string, any>) => void) => async (dir: string) => {
    const p = path.join(dir, 'manifest.json');
    const m = JSON.parse(await readFile(p, 'utf8'));
    f(m);
    await writeFile(p, JSON.stringify(m));
  };

  it('truncated model.onnx -> model_corrupt', async () => {
    const dir = await brokenCopy('truncated', async (d) => {
      const p = path.join(d, 'model.onnx');
      await writeFile(p, (await readFile(p)).subarray(0, 1000));
      await patchManifest((m) => delete m.sha256)(d);
    });
    expect(await codeOf(dir)).toBe('model_corrupt');
  });

  it('unparseable tokenizer.json -> model_corrupt', async () => {
    const dir = await brokenCopy('bad-tokenizer', async (d) => {
      await writeFile(path.join(d, 'tokenizer.json'), '{ not json');
      await patchManifest((m) => delete m.sha256)(d);
    });
    expect(await codeOf(dir)).toBe('model_corrupt');
  });

  it('tokenizer of another size -> model_mismatch', async () => {
    const dir = await brokenCopy(
      'vocab-size',
      patchManifest((m) => (m.vocab.size += 1)),
    );
    expect(await codeOf(dir)).toBe('model_mismatch');
  });

  it('special token missing from the tokenizer -> model_mismatch', async () => {
    const dir = await brokenCopy(
      'no-special',
      patchManifest((m) => (m.vocab.special_tokens.sep = '<sep>')),
    );
    expect(await codeOf(dir)).toBe('model_mismatch');
  });

  it('unknown contract or no eot section -> manifest_invalid', async () => {
    const a = await brokenCopy(
      'bad-contract',
      patchManifest((m) => (m.eot.contract = 'openai-eou/9')),
    );
    expect(await codeOf(a)).toBe('manifest_invalid');
    const b = await brokenCopy(
      'no-section',
      patchManifest((m) => delete m.eot),
    );
    expect(await codeOf(b)).toBe('manifest_invalid');
  });

  it('contract whose inputs the graph lacks -> model_mismatch', async () => {
    const dir = await brokenCopy(
      'wrong-contract',
      patchManifest((m) => (m.eot.contract = 'livekit-eou/1')),
    );
    // livekit-eou/1 accepts input_ids (+ optional attention_mask), so this loads; fireredchat needs a pad token.
    await expect(loadEotDetector(dir, new ModelRegistry())).resolves.toBeDefined();
    const fr = await brokenCopy(
      'firered-no-pad',
      patchManifest((m) => {
        m.eot.contract = 'fireredchat-eot/1';
        m.vocab.special_tokens.pad = '<pad>';
      }),
    );
    expect(await codeOf(fr)).toBe('model_mismatch');
  });
});

describe('external contracts (stand-in models from models/training/eot/make_contract_fakes.py)', () => {
  const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

  it('livekit-eou/1: ChatML text cut before the last <|im_end|>, LiveKit normalization and merging', () => {
    const turns: EotTurn[] = [
      { role: 'assistant', text: 'Hello! How can I help?' },
      { role: 'user', text: 'I want' },
    ];
    expect(livekitText(turns, 'to book a table, for TWO.', CHATML_TEMPLATE, 6)).toBe(
      '<|im_start|>assistant\nhello how can i help<|im_end|>\n<|im_start|>user\ni want to book a table for two',
    );
    // Only the last 6 messages count; empty ones are skipped; ' and - survive normalization.
    const many: EotTurn[] = Array.from({ length: 8 }, (_, i) => ({
      role: i % 2 ? 'user' : 'assistant',
      text: `turn-${i}'s`,
    }));
    const text = livekitText(many, '', CHATML_TEMPLATE, 6);
    expect(text.startsWith('<|im_start|>user\nturn-3')).toBe(true);
    expect(text.endsWith("turn-7's")).toBe(true);
  });

  it('livekit-eou/1: feeds input_ids only and reads the last element of the output', async () => {
    const reg = new ModelRegistry();
    const d = await loadEotDetector(path.join(TESTDATA, 'livekit-like'), reg);
    expect(d.contract).toBe('livekit-eou/1');
    const ids = d.encode('Can I help you?', 'hello there');
    const p = await d.predict('Can I help you?', 'hello there');
    // The stand-in outputs sigmoid((id - 50) / 10) per token: the last id fed decides.
    expect(p).toBeCloseTo(sigmoid((ids[ids.length - 1] - 50) / 10), 6);
    expect(ids.length).toBeGreaterThan(8);
    await reg.close();
  });

  it('fireredchat-eot/1: punctuation and spaces removed, padded to max_tokens, softmax of the last class', async () => {
    const reg = new ModelRegistry();
    const d = await loadEotDetector(path.join(TESTDATA, 'fireredchat-like'), reg);
    expect(d.contract).toBe('fireredchat-eot/1');
    const ids = d.encode('Hello, there. Two!');
    expect(ids).toEqual(d.encode('hellotheretwo'));
    const p = await d.predict('Hello, there. Two!');
    // The stand-in outputs logits [0, n/10 - 1] where n = unmasked tokens.
    expect(p).toBeCloseTo(sigmoid(ids.length / 10 - 1), 6);
    const long = await d.predict('a-'.repeat(150)); // BertPreTokenizer splits on '-': 300 tokens
    expect(long).toBeCloseTo(sigmoid(128 / 10 - 1), 6);
    await reg.close();
  });
});
