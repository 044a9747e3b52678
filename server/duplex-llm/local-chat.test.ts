import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelError, ModelRegistry, bundledModelDir } from '../models/registry.ts';
import { loadLocalChatBackend } from './local-chat.ts';
import { argmax } from './sampling.ts';
import { loadTdmModel } from './tdm-model.ts';

const TDM_DIR = process.env.BANTER_TDM_DIR ?? bundledModelDir('tdm');
// banter's own graph is an Optimum decoder too: a chat template that writes one TDM slice makes it
// a "user-brought" model whose generation can be checked against the TDM engine token for token.
const TEMPLATE =
  "{% for m in messages %}{% if m.role == 'user' %}<u> {{ m.content }} <eot4> <a>{% endif %}{% endfor %}";

let tmp: string;
let registry: ModelRegistry;

async function folder(name: string, chat: Record<string, unknown>): Promise<string> {
  const dir = path.join(tmp, name);
  await cp(TDM_DIR, dir, { recursive: true });
  const manifest = JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  await writeFile(
    path.join(dir, 'manifest.json'),
    JSON.stringify({ ...manifest, name: `local-${name}`, chat }),
  );
  return dir;
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'banter-local-chat-'));
  registry = new ModelRegistry();
});
afterAll(async () => {
  await registry.close();
  await rm(tmp, { recursive: true, force: true });
});

describe('local Optimum decoder as a chat backend', () => {
  it('renders the chat template, generates with the KV cache, and matches the TDM engine', async () => {
    const dir = await folder('ok', {
      contract: 'optimum-chat/1',
      chat_template: TEMPLATE,
      stop_tokens: ['<u>', '<eos>', '<idle>', '<cont>', '<stop>'],
      max_positions: 384,
    });
    const backend = await loadLocalChatBackend(registry, dir);
    let got = '';
    for await (const d of backend.complete(
      [{ role: 'user', content: 'can you try sino' }],
      new AbortController().signal,
    ))
      got += d;

    const tdm = await loadTdmModel(new ModelRegistry(), TDM_DIR);
    const conv = tdm.createConversation({ sampler: argmax }); // the local backend decodes by plain argmax
    let want = '';
    for await (const o of conv.step(
      {
        text: 'can you try sino',
        signals: [{ type: 'end_of_turn', probability: 0.9 }],
        startMs: 0,
        endMs: 400,
      },
      new AbortController().signal,
    ))
      if (o.type === 'text') want += o.delta;
    expect(want.length).toBeGreaterThan(0);
    expect(got).toBe(want);
  });

  it('refuses a template that does not parse, and a stop token the tokenizer lacks', async () => {
    const broken = await folder('broken', {
      contract: 'optimum-chat/1',
      chat_template: '{% for %}',
      max_positions: 384,
    });
    const e1 = await loadLocalChatBackend(registry, broken).catch((e: unknown) => e);
    expect((e1 as ModelError).code).toBe('manifest_invalid');
    const stop = await folder('stop', {
      contract: 'optimum-chat/1',
      chat_template: TEMPLATE,
      stop_tokens: ['<|im_end|>'],
      max_positions: 384,
    });
    const e2 = await loadLocalChatBackend(registry, stop).catch((e: unknown) => e);
    expect(e2).toBeInstanceOf(ModelError);
    expect((e2 as ModelError).code).toBe('model_mismatch');
  });
});
