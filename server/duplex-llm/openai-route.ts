/**
 * banter's own model on an OpenAI-compatible route: POST /v1/chat/completions (streamed with
 * Server-Sent Events or not) and GET /v1/models, so any OpenAI client, and banter's own
 * OpenAI backend, can use it. The request is validated with zod; a client that goes away stops
 * the generation.
 */
import { randomUUID } from 'node:crypto';
import express, { type RequestHandler, type Router } from 'express';
import { z } from 'zod';
import type { ChatBackend } from './chat.ts';

const ChatRequest = z.looseObject({
  model: z.string().optional(),
  messages: z
    .array(
      z.looseObject({
        role: z.enum(['system', 'user', 'assistant']),
        content: z.string().max(20_000),
      }),
    )
    .min(1)
    .max(200),
  stream: z.boolean().optional(),
  max_tokens: z.number().int().positive().max(4096).optional(),
});

const openAiError = (message: string, type = 'invalid_request_error') => ({ error: { message, type } });

export function openAiRouter(backend: ChatBackend, modelId: string, guard: RequestHandler): Router {
  const router = express.Router();
  router.get('/v1/models', guard, (_req, res) => {
    res.json({ object: 'list', data: [{ id: modelId, object: 'model', owned_by: 'banter', created: 0 }] });
  });
  router.post('/v1/chat/completions', guard, express.json({ limit: '256kb' }), async (req, res) => {
    const parsed = ChatRequest.safeParse(req.body);
    if (!parsed.success) {
      res
        .status(400)
        .json(openAiError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')));
      return;
    }
    const body = parsed.data;
    const ac = new AbortController();
    res.on('close', () => ac.abort());
    const id = `chatcmpl-${randomUUID()}`;
    const created = Math.floor(Date.now() / 1000);
    const chunk = (delta: object, finish: string | null) =>
      JSON.stringify({
        id,
        object: 'chat.completion.chunk',
        created,
        model: modelId,
        choices: [{ index: 0, delta, finish_reason: finish }],
      });
    const stream = backend.complete(body.messages, ac.signal, { maxTokens: body.max_tokens });
    try {
      if (body.stream) {
        res.status(200).set({
          'content-type': 'text/event-stream',
          'cache-control': 'no-cache',
          connection: 'keep-alive',
        });
        res.flushHeaders();
        res.write(`data: ${chunk({ role: 'assistant' }, null)}\n\n`);
        for await (const delta of stream) res.write(`data: ${chunk({ content: delta }, null)}\n\n`);
        if (!ac.signal.aborted) res.end(`data: ${chunk({}, 'stop')}\n\ndata: [DONE]\n\n`);
        return;
      }
      let content = '';
      for await (const delta of stream) content += delta;
      res.json({
        id,
        object: 'chat.completion',
        created,
        model: modelId,
        choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
      });
    } catch (err) {
      if (res.headersSent) res.end();
      else res.status(500).json(openAiError((err as Error).message, 'server_error'));
    }
  });
  return router;
}
