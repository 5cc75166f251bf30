import { type ForwardedEndpoint, parseDuration, ValueRejected } from 'autobyteus';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ModelServingError } from '../serving/model-errors.js';
import type { ModelLease, ModelServer } from '../serving/model-server.js';
import { type ChatTarget, findChatTarget, servingErrorBody } from './chat-target.js';
import type { UpstreamJob } from './failover.js';
import type { GatewayDeps } from './gateway-routes.js';
import { startLoadingComments } from './loading-comments.js';
import { openAIError, withRequestId } from './openai-error.js';
import { streamErrorEvent } from './stream-error-event.js';
import { printable } from './untrusted-text.js';

/** What a request needs before it goes to a host, or the answer already sent. */
export type Prepared = { ok: true; job: UpstreamJob; done: () => void } | { ok: false; reply: FastifyReply };

/**
 * The steps every model request shares, before any byte goes to an engine: `keep_alive`, the
 * target (a local model, or the pool of hosts serving the name), the 404, the engine's support for
 * `endpoint`, metrics, abort on disconnect, and for a local model that is not loaded yet its load
 * (a streaming client gets its 200 and SSE comment lines meanwhile). Call `done()` when the
 * exchange is over.
 */
export async function prepareUpstream(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: GatewayDeps,
  input: { model: string; stream: boolean; keepAlive: unknown; endpoint?: ForwardedEndpoint },
): Promise<Prepared> {
  const arrived = (request as FastifyRequest & { arrivedAt?: number }).arrivedAt ?? performance.now();
  let keepAliveMs: number | undefined;
  try {
    keepAliveMs = input.keepAlive === undefined ? undefined : parseDuration(String(input.keepAlive));
  } catch (error) {
    if (!(error instanceof ValueRejected)) throw error;
    const body = openAIError(
      `invalid request: keep_alive: ${error.message}`,
      'invalid_request_error',
      'invalid_request',
      'keep_alive',
    );
    return { ok: false, reply: reply.code(400).send(body) };
  }
  let target: ChatTarget | undefined;
  try {
    target = await findChatTarget(deps, input.model);
  } catch (error) {
    if (error instanceof ModelServingError)
      return { ok: false, reply: reply.code(error.status).send(servingErrorBody(error)) };
    throw error;
  }
  if (!target) {
    const message = `The model "${printable(input.model)}" is not registered. GET /v1/models lists the available identifiers.`;
    return {
      ok: false,
      reply: reply.code(404).send(openAIError(message, 'invalid_request_error', 'model_not_found', 'model')),
    };
  }
  const translated = translatedFor(deps, target, input.endpoint);
  const unsupported = translated ? undefined : unsupportedBy(deps, target, input.endpoint);
  if (unsupported) return { ok: false, reply: reply.code(400).send(unsupported) };

  const name = target.kind === 'local' ? target.model.id : target.pool.name;
  const measure = deps.metrics?.requestStarted({ model: name, pool: name });
  const controller = new AbortController();
  reply.raw.on('close', () => {
    if (!reply.raw.writableFinished) controller.abort();
  });
  if (target.kind === 'pool') {
    const pool = target.pool;
    const endpoint = translated ? undefined : input.endpoint;
    const members = pool.members.filter((m) => deps.capabilities.serves(m.runtime, endpoint));
    const job: UpstreamJob = {
      deps,
      controller,
      arrived,
      endpoint: input.endpoint,
      loadingStream: false,
      translated,
      ...(measure ? { measure } : {}),
      source: {
        attempts: deps.failoverAttempts,
        next: (tried, signal) => deps.dispatcher.acquire(pool.name, members, tried, signal),
      },
    };
    return { ok: true, job, done: () => {} };
  }

  // A local model not loaded yet: a streaming client gets its 200 and keep-alive comments at once.
  const local = target.model;
  const models = deps.models as ModelServer;
  const acquiring = models.acquire(local, keepAliveMs !== undefined ? { keepAliveMs } : {});
  let stopComments: (() => void) | undefined;
  const loadingStream = input.stream && !models.isReady(local.id);
  if (loadingStream) {
    reply.hijack();
    stopComments = startLoadingComments(reply.raw, { model: local.id, headers: { 'x-request-id': request.id } });
  }
  let lease: ModelLease;
  try {
    lease = await acquiring;
  } catch (error) {
    stopComments?.();
    measure?.finished('error');
    if (!(error instanceof ModelServingError)) throw error;
    request.log.error({ model: local.id, code: error.code }, printable(error.message, 2000));
    const errorBody = withRequestId(servingErrorBody(error), request.id);
    if (loadingStream) {
      reply.raw.end(streamErrorEvent(input.endpoint, errorBody, error.status));
      return { ok: false, reply };
    }
    return { ok: false, reply: reply.code(error.status).send(errorBody) };
  }
  stopComments?.();
  if (controller.signal.aborted) {
    lease.release();
    measure?.finished('aborted');
    return { ok: false, reply };
  }
  const job: UpstreamJob = {
    deps,
    controller,
    arrived,
    endpoint: input.endpoint,
    loadingStream,
    translated,
    ...(measure ? { measure } : {}),
    source: { attempts: 1, next: async () => ({ model: lease.instance.llmModel(), release: () => {} }) },
  };
  return { ok: true, job, done: () => lease.release() };
}

function runtimesOf(target: ChatTarget): string[] {
  return target.kind === 'local'
    ? [target.model.engine === 'mlx' ? 'mlx' : 'llama_cpp']
    : target.pool.members.map((m) => m.runtime);
}

/** No engine behind `target` serves `endpoint`, and the gateway translates it for all of them. */
function translatedFor(deps: GatewayDeps, target: ChatTarget, endpoint: ForwardedEndpoint | undefined): boolean {
  if (!endpoint) return false;
  const runtimes = runtimesOf(target);
  return (
    !runtimes.some((runtime) => deps.capabilities.serves(runtime, endpoint)) &&
    runtimes.every((runtime) => deps.capabilities.translates(runtime, endpoint))
  );
}

/** The 400 body when no engine behind `target` serves `endpoint` itself; undefined when one does. */
function unsupportedBy(deps: GatewayDeps, target: ChatTarget, endpoint: ForwardedEndpoint | undefined) {
  if (!endpoint) return undefined;
  const runtimes = runtimesOf(target);
  if (runtimes.some((runtime) => deps.capabilities.serves(runtime, endpoint))) return undefined;
  const labels = [...new Set(runtimes)].map((runtime) => deps.capabilities.label(runtime)).join(', ');
  return openAIError(
    `${endpoint} is not served by the engine of this model (${labels}); use /v1/chat/completions, or a model on an engine that serves it`,
    'invalid_request_error',
    'unsupported_endpoint',
    'model',
  );
}
