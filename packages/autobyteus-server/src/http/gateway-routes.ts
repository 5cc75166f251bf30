import type { ChatStreamChunk, LLMError, LLMFactory, LocalRuntime } from 'autobyteus';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { z } from 'zod';
import { resolveModel } from '../app/model-resolution.js';
import { BatchedWriter } from './batched-writer.js';
import { encodeCompletion, OpenAIChunkEncoder } from './openai-chunk-encoder.js';
import { hostIsDown, openAIError, upstreamError, withRequestId } from './openai-error.js';
import { samplingParamsShape } from './sampling-params.js';
import { printable } from './untrusted-text.js';

const messageSchema = z.object({ role: z.enum(['system', 'user', 'assistant', 'tool', 'developer']) }).passthrough();
const chatRequestSchema = z
  .object({
    model: z.string().min(1),
    messages: z.array(messageSchema).min(1),
    stream: z.boolean().optional(),
    stream_options: z.object({ include_usage: z.boolean().optional() }).passthrough().nullish(),
    ...samplingParamsShape,
  })
  .passthrough();

export const OVERHEAD_HEADER = 'x-autobyteus-overhead-ms';

export interface GatewayDeps {
  factory: LLMFactory;
  logger: Logger;
  logPrompts: boolean;
  startedAt: number;
}

const ms = (since: number) => (performance.now() - since).toFixed(3);

/**
 * Status and client body for a failed engine request. The full error (host, endpoint, local paths)
 * goes to the log under the request id; server-side failures carry that id in the body too.
 */
function relayFailure(request: FastifyRequest, error: unknown) {
  const relayed = upstreamError(error);
  const where = error instanceof Error ? error.message : String(error);
  if (relayed.status >= 500) {
    request.log.error({ err: error, status: relayed.status }, `chat request failed: ${printable(where, 2000)}`);
    return { status: relayed.status, body: withRequestId(relayed.body, request.id) };
  }
  request.log.warn({ status: relayed.status }, `engine refused the request: ${printable(where, 2000)}`);
  return relayed;
}

/**
 * The OpenAI-compatible gateway: `/v1/models` lists every registered model by identifier;
 * `/v1/chat/completions` routes on `model` to that model's host through the library's transport.
 */
export function registerGatewayRoutes(app: FastifyInstance, deps: GatewayDeps): void {
  app.get('/v1/models', async () => ({
    object: 'list',
    data: deps.factory.listAvailableModels().map((m) => ({
      id: m.modelIdentifier,
      object: 'model',
      created: Math.floor(deps.startedAt / 1000),
      owned_by: m.runtime,
    })),
  }));

  app.post('/v1/chat/completions', async (request: FastifyRequest, reply: FastifyReply) => {
    const arrived = (request as FastifyRequest & { arrivedAt?: number }).arrivedAt ?? performance.now();
    const parsed = chatRequestSchema.safeParse(request.body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const param = issue?.path.join('.') || null;
      return reply
        .code(400)
        .send(
          openAIError(
            `invalid request: ${param ?? 'body'}: ${issue?.message}`,
            'invalid_request_error',
            'invalid_request',
            param,
          ),
        );
    }
    const body = parsed.data;
    const model = resolveModel(deps.factory, body.model);
    if (!model) {
      return reply
        .code(404)
        .send(
          openAIError(
            `The model "${printable(body.model)}" is not registered. GET /v1/models lists the available identifiers.`,
            'invalid_request_error',
            'model_not_found',
            'model',
          ),
        );
    }
    if (deps.logPrompts) request.log.info({ model: model.modelIdentifier, messages: body.messages }, 'chat request');
    const llm = deps.factory.createLLM(model.modelIdentifier);
    const controller = new AbortController();
    reply.raw.on('close', () => {
      if (!reply.raw.writableFinished) controller.abort();
    });
    const failed = (error: unknown) => {
      if (hostIsDown(error)) {
        deps.factory.markHostDown(model.runtime as LocalRuntime, model.hostUrl, (error as LLMError).reason);
        deps.logger.warn(
          { runtime: model.runtime, host: model.hostUrl },
          'engine failed mid-request; host marked down',
        );
      }
    };

    if (!body.stream) {
      const dispatched = ms(arrived);
      try {
        const answer = await llm.completeRequest(body, controller.signal);
        const started = performance.now();
        const payload = encodeCompletion(body.model, answer);
        return reply.header(OVERHEAD_HEADER, (Number(dispatched) + Number(ms(started))).toFixed(3)).send(payload);
      } catch (error) {
        failed(error);
        const { status, body: errorBody } = relayFailure(request, error);
        return reply.code(status).header(OVERHEAD_HEADER, dispatched).send(errorBody);
      }
    }

    const encoder = new OpenAIChunkEncoder(body.model, body.stream_options?.include_usage === true);
    const dispatched = Number(ms(arrived));
    const iterator = llm.streamRequest(body, controller.signal);
    let first: IteratorResult<ChatStreamChunk>;
    try {
      // Wait for the engine's first chunk: errors before any token still get a proper status code.
      first = await iterator.next();
    } catch (error) {
      failed(error);
      const { status, body: errorBody } = relayFailure(request, error);
      return reply.code(status).header(OVERHEAD_HEADER, dispatched.toFixed(3)).send(errorBody);
    }
    const firstAt = performance.now();
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-request-id': request.id,
      [OVERHEAD_HEADER]: (dispatched + (performance.now() - firstAt)).toFixed(3),
    });
    const out = new BatchedWriter(res);
    const write = (text: string) => out.write(text);
    try {
      if (!first.done) await write(encoder.encode(first.value));
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
        await write(encoder.encode(next.value));
      }
      await out.flush();
      res.end();
    } catch (error) {
      if (controller.signal.aborted) {
        res.destroy();
        return;
      }
      failed(error);
      const { body: errorBody } = relayFailure(request, error);
      await out.flush();
      // Same shape llama-server uses: an error event, then the stream closes without [DONE].
      res.end(`data: ${JSON.stringify(errorBody)}\n\n`);
    }
  });
}
