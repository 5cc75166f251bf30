import type { ForwardedEndpoint, LLMFactory } from 'autobyteus';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { ServerMetrics } from '../metrics/server-metrics.js';
import type { PoolDispatcher } from '../routing/pool-dispatcher.js';
import type { ModelServer } from '../serving/model-server.js';
import { toAnthropicError } from './anthropic-error.js';
import { forward } from './chat-forward.js';
import type { UpstreamJob } from './failover.js';
import { listGatewayModels } from './model-listing.js';
import { openAIError } from './openai-error.js';
import { prepareUpstream } from './prepare-upstream.js';
import { relay } from './relay-forward.js';
import type { RuntimeCapabilities } from './runtime-capabilities.js';
import { samplingParamsShape } from './sampling-params.js';
import { TRANSLATIONS, translate } from './translate/translated-forward.js';

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

/** Any body with a model: the engine validates the rest of a forwarded request itself. */
const forwardedRequestSchema = z
  .object({
    model: z.string().min(1),
    stream: z.boolean().optional(),
    keep_alive: z.union([z.string().max(40), z.number()]).optional(),
  })
  .passthrough();

/** The endpoints passed through to engines that serve them, in the order they are registered. */
export const FORWARDED_ENDPOINTS: readonly ForwardedEndpoint[] = [
  '/v1/completions',
  '/v1/embeddings',
  '/v1/responses',
  '/v1/messages',
  '/v1/messages/count_tokens',
  '/v1/rerank',
];

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
  /** What each runtime's engine serves itself (read once from the runtime table). */
  capabilities: RuntimeCapabilities;
  /** Aliases from config.toml, by model name. */
  aliases: Readonly<Record<string, readonly string[]>>;
  logger: Logger;
  logPrompts: boolean;
  startedAt: number;
}

/** A 400 for a body that failed its schema, naming the first bad field. */
function invalid(reply: FastifyReply, error: z.ZodError) {
  const issue = error.issues[0];
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

/**
 * The OpenAI-compatible gateway: `/v1/models` lists the local models (with their state) and the
 * models of the configured hosts; `/v1/chat/completions` routes on `model`: a local model is loaded
 * on demand and held for the request, a host's model goes to the pool of hosts serving it. The other
 * OpenAI and Anthropic endpoints (`FORWARDED_ENDPOINTS`) are routed the same way and passed through to
 * engines that serve them; `/v1/messages` and `/v1/responses` are translated to chat completions for the
 * engines that do not (http/translate/).
 */
export function registerGatewayRoutes(app: FastifyInstance, deps: GatewayDeps): void {
  app.get('/v1/models', async () => ({ object: 'list', data: await listGatewayModels(deps) }));

  /** Validates the body, prepares its upstream, hands it to `run`, and releases the target afterwards. */
  const handle =
    <T extends { model: string; stream?: boolean; keep_alive?: unknown }>(
      schema: z.ZodType<T>,
      endpoint: ForwardedEndpoint | undefined,
      run: (request: FastifyRequest, reply: FastifyReply, job: UpstreamJob, body: T) => Promise<FastifyReply>,
    ) =>
    async (request: FastifyRequest, reply: FastifyReply) => {
      const parsed = schema.safeParse(request.body);
      if (!parsed.success) return invalid(reply, parsed.error);
      const { keep_alive: keepAlive, ...body } = parsed.data;
      const prepared = await prepareUpstream(request, reply, deps, {
        model: body.model,
        stream: body.stream === true,
        keepAlive,
        ...(endpoint ? { endpoint } : {}),
      });
      if (!prepared.ok) return prepared.reply;
      try {
        // keep_alive is the gateway's own field: it does not go on to the engine.
        return await run(request, reply, prepared.job, body as T);
      } finally {
        prepared.done();
      }
    };

  app.post(
    '/v1/chat/completions',
    handle<z.infer<typeof chatRequestSchema>>(chatRequestSchema, undefined, (request, reply, job, body) =>
      forward(request, reply, { ...job, body }),
    ),
  );

  for (const endpoint of FORWARDED_ENDPOINTS) {
    // Anthropic's clients read errors in Anthropic's shape.
    const hooks = endpoint.startsWith('/v1/messages')
      ? {
          onSend: async (_req: FastifyRequest, reply: FastifyReply, payload: unknown) =>
            toAnthropicError(payload, reply.statusCode),
        }
      : {};
    app.post(
      endpoint,
      hooks,
      handle<z.infer<typeof forwardedRequestSchema>>(forwardedRequestSchema, endpoint, (request, reply, job, body) =>
        // Engines without their own /v1/messages or /v1/responses are answered over chat completions.
        job.translated && endpoint in TRANSLATIONS
          ? translate(request, reply, { ...job, body }, TRANSLATIONS[endpoint as keyof typeof TRANSLATIONS])
          : relay(request, reply, { ...job, endpoint, body }),
      ),
    );
  }
}
