import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../app.ts';
import { ModelRegistry, bundledModelDir } from '../models/registry.ts';
import { type ChatMessage, LlmError } from './chat.ts';
import { OpenAiChatBackend } from './openai-backend.ts';
import { promptedDuplexModel } from './prompted.ts';
import { TdmChatBackend } from './tdm-chat.ts';
import { loadTdmModel } from './tdm-model.ts';
import type { SliceOutput, UserSlice } from './duplex-model.ts';

const TDM_DIR = process.env.BANTER_TDM_DIR ?? bundledModelDir('tdm');

const CONVERSATION: ChatMessage[] = [
  {
    role: 'user',
    content: 'I want to make a restaurant reservation for 2 people at half past 11 in the morning.',
  },
  { role: 'assistant', content: 'What city do you want to dine in? Do you have a preferred restaurant?' },
  { role: 'user', content: 'Please find restaurants in San Jose. Can you try Sino?' },
];

const never = new AbortController().signal;
async function text(it: AsyncIterable<string>): Promise<string> {
  let out = '';
  for await (const d of it) out += d;
  return out;
}

/** A real HTTP server on loopback answering /v1/chat/completions with `handler`. */
async function serve(handler: express.RequestHandler): Promise<{ url: string; close: () => Promise<void> }> {
  const app = express();
  app.post('/v1/chat/completions', handler);
  const server: Server = createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

async function failure(p: Promise<unknown>): Promise<LlmError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(LlmError);
  return err as LlmError;
}

let registry: ModelRegistry;
let direct: TdmChatBackend;
let banter: RunningServer;
let route: string;

beforeAll(async () => {
  registry = new ModelRegistry();
  direct = new TdmChatBackend(await loadTdmModel(registry, TDM_DIR));
  banter = await startServer({ port: 0, logger: pino({ level: 'silent' }), llm: { modelPath: TDM_DIR } });
  route = `http://127.0.0.1:${banter.port}/v1`;
});
afterAll(async () => {
  await banter.close();
  await registry.close();
});

describe("banter's OpenAI-compatible route and the OpenAI backend", () => {
  it('the backend, over the real route, gets the same reply as the model called directly', async () => {
    const want = await text(direct.complete(CONVERSATION, never));
    expect(want.length).toBeGreaterThan(0);
    // the reply starts with the words written in the end-of-turn slice itself
    expect(want).not.toMatch(/^\s/);
    const backend = new OpenAiChatBackend({ url: route, model: 'banter', timeoutMs: 5000 });
    expect(await text(backend.complete(CONVERSATION, never))).toBe(want);
    // and without streaming, a plain chat.completion
    const res = await fetch(`${route}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'banter', messages: CONVERSATION }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { object: string; choices: { message: { content: string } }[] };
    expect(body.object).toBe('chat.completion');
    expect(body.choices[0].message.content).toBe(want);
    const models = (await (await fetch(`${route}/models`)).json()) as { data: { id: string }[] };
    expect(models.data[0].id).toMatch(/^banter-tdm@/);
  });

  it('refuses a malformed request with an OpenAI-style 400', async () => {
    const res = await fetch(`${route}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ messages: [{ role: 'robot', content: 1 }] }),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { type: string; message: string } };
    expect(body.error.type).toBe('invalid_request_error');
    expect(body.error.message).toContain('messages.0.role');
  });

  it('stops reading when aborted mid-stream, and the route keeps serving', async () => {
    const backend = new OpenAiChatBackend({ url: route, model: 'banter', timeoutMs: 5000 });
    const ac = new AbortController();
    const got: string[] = [];
    for await (const d of backend.complete(CONVERSATION, ac.signal)) {
      got.push(d);
      ac.abort();
    }
    expect(got).toHaveLength(1);
    expect((await text(backend.complete(CONVERSATION, never))).length).toBeGreaterThan(0);
  });

  it('codes every failure of the server it talks to', async () => {
    const closed = await serve((_req, res) => res.end());
    const url = closed.url;
    await closed.close();
    const unreachable = await failure(
      text(new OpenAiChatBackend({ url, model: 'x', timeoutMs: 2000 }).complete(CONVERSATION, never)),
    );
    expect(unreachable.code).toBe('llm_unreachable');

    const status = await serve((_req, res) => res.status(503).send('overloaded'));
    const e503 = await failure(
      text(
        new OpenAiChatBackend({ url: status.url, model: 'x', timeoutMs: 2000 }).complete(CONVERSATION, never),
      ),
    );
    expect(e503.code).toBe('llm_http_status');
    expect(e503.message).toContain('503');
    await status.close();

    const silent = await serve(() => undefined);
    const slow = await failure(
      text(
        new OpenAiChatBackend({ url: silent.url, model: 'x', timeoutMs: 150 }).complete(CONVERSATION, never),
      ),
    );
    expect(slow.code).toBe('llm_timeout');
    await silent.close();

    const garbage = await serve((_req, res) => {
      res.set('content-type', 'text/event-stream');
      res.end('data: {not json\n\n');
    });
    const bad = await failure(
      text(
        new OpenAiChatBackend({ url: garbage.url, model: 'x', timeoutMs: 2000 }).complete(
          CONVERSATION,
          never,
        ),
      ),
    );
    expect(bad.code).toBe('llm_bad_response');
    await garbage.close();
  });

  it('in the prompted duplex mode, answers an end of turn with the route’s words and reports a dead backend as llm_failed', async () => {
    const model = promptedDuplexModel(
      new OpenAiChatBackend({ url: route, model: 'banter', timeoutMs: 5000 }),
    );
    const conv = model.createConversation();
    const step = async (s: Partial<UserSlice>): Promise<SliceOutput[]> => {
      const out: SliceOutput[] = [];
      for await (const o of conv.step({ text: '', signals: [], startMs: 0, endMs: 400, ...s }, never))
        out.push(o);
      return out;
    };
    expect(await step({ text: 'please find restaurants in san jose' })).toEqual([{ type: 'idle' }]);
    const answer = await step({
      text: 'can you try sino',
      signals: [{ type: 'end_of_turn', probability: 0.9 }],
    });
    expect(answer[0].type).toBe('text');
    conv.close();

    const dead = promptedDuplexModel(
      new OpenAiChatBackend({ url: 'http://127.0.0.1:9/v1', model: 'x', timeoutMs: 1000 }),
    );
    const c2 = dead.createConversation();
    const out: SliceOutput[] = [];
    for await (const o of c2.step(
      { text: 'hello', signals: [{ type: 'end_of_turn', probability: 0.9 }], startMs: 0, endMs: 400 },
      never,
    ))
      out.push(o);
    expect(out).toEqual([expect.objectContaining({ type: 'error', code: 'llm_failed' })]);
    // the conversation goes on listening
    const next: SliceOutput[] = [];
    for await (const o of c2.step({ text: 'are you there', signals: [], startMs: 400, endMs: 800 }, never))
      next.push(o);
    expect(next).toEqual([{ type: 'idle' }]);
  });
});
