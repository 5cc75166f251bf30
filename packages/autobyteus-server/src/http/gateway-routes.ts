import { type LLMFactory, parseDuration, ValueRejected } from 'autobyteus';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { ServerMetrics } from '../metrics/server-metrics.js';
import type { PoolDispatcher } from '../routing/pool-dispatcher.js';
import { ModelServingError } from '../serving/model-errors.js';
import type { ModelLease, ModelServer } from '../serving/model-server.js';
import { forward, type UpstreamSource } from './chat-forward.js';
import { type ChatTarget, findChatTarget, servingErrorBody } from './chat-target.js';
import { startLoadingComments } from './loading-comments.js';
import { listGatewayModels } from './model-listing.js';
import { openAIError, withRequestId } from './openai-error.js';
import { samplingParamsShape } from './sampling-params.js';
import { printable } from './untrusted-text.js';

const messageSchema = z.object({ role: z.enum(['system', 'user', 'assistant', 'tool', 'developer']) }).passthrough();
const chatRequestSchema = z
  .object({
    model: z.string().min(1),
    messages: z.array(messageSchema).min(1),
    stream: z.boolean().optional(),
    stream_options: z.object({ include_usage: z.boolean().optional() }).passthrough().nullish(),
    /** Ollama's field: how long the model stays loaded after this request (`5m`, `0`, `-1`). */
    keep_alive: z.union([z.string().max(40), z.number()]).optional(),
    ...samplingParamsShape,
  })
  .passthrough();

export { OVERHEAD_HEADER } from './chat-forward.js';

export interface GatewayDeps {
  factory: LLMFactory;
  /** The server's own local models, loaded on demand (absent when no engine is managed). */
  models?: ModelServer;
  /** Places requests for the configured hosts' models on the hosts of their pool. */
  dispatcher: PoolDispatcher;
  /** Hosts tried for one request before giving up (`AUTOBYTEUS_FAILOVER_ATTEMPTS`). */
  failoverAttempts: number;
  /** Request metrics (`GET /metrics`). */
  metrics?: ServerMetrics;
  /** Aliases from config.toml, by model name. */
  aliases: Readonly<Record<string, readonly string[]>>;
  logger: Logger;
  logPrompts: boolean;
  startedAt: number;
}

/**
 * The OpenAI-compatible gateway: `/v1/models` lists the local models (with their state) and the
 * models of the configured hosts; `/v1/chat/completions` routes on `model`: a local model is loaded
 * on demand and held for the request, a host's model goes straight to its host.
 */
export function registerGatewayRoutes(app: FastifyInstance, deps: GatewayDeps): void {
  app.get('/v1/models', async () => ({ object: 'list', data: await listGatewayModels(deps) }));

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
    const { keep_alive: keepAliveRaw, ...body } = parsed.data;
    let keepAliveMs: number | undefined;
    try {
      keepAliveMs = keepAliveRaw === undefined ? undefined : parseDuration(String(keepAliveRaw));
    } catch (error) {
      if (!(error instanceof ValueRejected)) throw error;
      return reply
        .code(400)
        .send(
          openAIError(
            `invalid request: keep_alive: ${error.message}`,
            'invalid_request_error',
            'invalid_request',
            'keep_alive',
          ),
        );
    }
    let target: ChatTarget | undefined;
    try {
      target = await findChatTarget(deps, body.model);
    } catch (error) {
      if (error instanceof ModelServingError) return reply.code(error.status).send(servingErrorBody(error));
      throw error;
    }
    if (!target) {
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
    const measure = deps.metrics?.requestStarted({
      model: target.kind === 'local' ? target.model.id : target.pool.name,
      pool: target.kind === 'local' ? target.model.id : target.pool.name,
    });
    const controller = new AbortController();
    reply.raw.on('close', () => {
      if (!reply.raw.writableFinished) controller.abort();
    });

    // A local model not loaded yet: a streaming client gets its 200 and keep-alive comments at once.
    let lease: ModelLease | undefined;
    let loadingStream = false;
    if (target.kind === 'local') {
      const local = target.model;
      const models = deps.models as ModelServer;
      const acquiring = models.acquire(local, { ...(keepAliveMs !== undefined ? { keepAliveMs } : {}) });
      let stopComments: (() => void) | undefined;
      if (body.stream && !models.isReady(local.id)) {
        reply.hijack();
        loadingStream = true;
        stopComments = startLoadingComments(reply.raw, { model: local.id, headers: { 'x-request-id': request.id } });
      }
      try {
        lease = await acquiring;
      } catch (error) {
        stopComments?.();
        measure?.finished('error');
        if (!(error instanceof ModelServingError)) throw error;
        request.log.error({ model: local.id, code: error.code }, printable(error.message, 2000));
        const errorBody = withRequestId(servingErrorBody(error), request.id);
        if (loadingStream) {
          reply.raw.end(`data: ${JSON.stringify(errorBody)}\n\n`);
          return reply;
        }
        return reply.code(error.status).send(errorBody);
      }
      stopComments?.();
      if (controller.signal.aborted) {
        lease.release();
        measure?.finished('aborted');
        return reply;
      }
    }
    const held = lease;
    const pool = target.kind === 'pool' ? target.pool : undefined;
    const source: UpstreamSource = held
      ? { attempts: 1, next: async () => ({ model: held.instance.llmModel(), release: () => {} }) }
      : {
          attempts: deps.failoverAttempts,
          next: (tried, signal) =>
            deps.dispatcher.acquire(pool?.name ?? body.model, pool?.members ?? [], tried, signal),
        };
    try {
      return await forward(request, reply, {
        deps,
        source,
        body,
        controller,
        arrived,
        loadingStream,
        ...(measure ? { measure } : {}),
      });
    } finally {
      held?.release();
    }
  });
}
