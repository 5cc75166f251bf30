import type { ForwardedEndpoint } from 'autobyteus';
import { LLMError, type LLMModel, type LocalRuntime, type OpenAICompatibleLLM } from 'autobyteus';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RequestMeasurement } from '../metrics/server-metrics.js';
import { type HostLease, hostKey } from '../routing/pool-dispatcher.js';
import { RoutingError } from '../routing/routing-errors.js';
import type { GatewayDeps } from './gateway-routes.js';
import { hostIsDown, openAIError, upstreamError, withRequestId } from './openai-error.js';
import { streamErrorEvent } from './stream-error-event.js';
import { printable } from './untrusted-text.js';

/** Response header with the gateway's own time on a request, in ms (engine time excluded). */
export const OVERHEAD_HEADER = 'x-autobyteus-overhead-ms';

/** Where a request may go: one host after another, until one answers. */
export interface UpstreamSource {
  /** The next host, not one of `tried`; throws a `RoutingError` (or the abort reason) when none is left. */
  next(tried: ReadonlySet<string>, signal: AbortSignal): Promise<HostLease>;
  /** Hosts tried at most (1: no failover, e.g. a local model's own engine). */
  attempts: number;
}

/** One client request on its way to a host. */
export interface UpstreamJob {
  deps: GatewayDeps;
  source: UpstreamSource;
  controller: AbortController;
  /** The forwarded endpoint asked for (undefined: chat completions): the shape of errors on a started stream. */
  endpoint?: ForwardedEndpoint;
  /** `performance.now()` when the request arrived. */
  arrived: number;
  /** The SSE response was already started (a model load kept the client waiting): no status line left to send. */
  loadingStream: boolean;
  /** The request's metrics (time to first token, outcome, tokens). */
  measure?: RequestMeasurement;
  /** The endpoint is answered over the engine's chat completions (it lacks the endpoint; see http/translate/). */
  translated?: boolean;
  /** What the prompt log line shows when LOG_PROMPTS is on. */
  promptLog?: unknown;
}

/** The gateway's own time so far, in ms. */
export function elapsedMs(since: number): number {
  return performance.now() - since;
}

/**
 * Status and client body for a failed engine request. The full error (host, endpoint, local paths)
 * goes to the log under the request id; server-side failures carry that id in the body too.
 */
export function relayFailure(request: FastifyRequest, error: unknown) {
  const relayed = upstreamError(error);
  const where = error instanceof Error ? error.message : String(error);
  if (relayed.status >= 500) {
    request.log.error({ err: error, status: relayed.status }, `chat request failed: ${printable(where, 2000)}`);
    return { status: relayed.status, body: withRequestId(relayed.body, request.id) };
  }
  request.log.warn({ status: relayed.status }, `engine refused the request: ${printable(where, 2000)}`);
  return relayed;
}

/** Failures before any output that another host may not have: the request moves on. */
export function retryable(error: unknown): boolean {
  if (!(error instanceof LLMError)) return false;
  if (['connection', 'timeout', 'loading', 'stream_interrupted'].includes(error.kind)) return true;
  return error.kind === 'engine' && [502, 503, 504].includes(error.status ?? 0);
}

/** Failures that say the host is unwell (they count against its circuit breaker), not the request. */
export function hostFault(error: unknown): boolean {
  return retryable(error) || (error instanceof LLMError && ['engine', 'protocol'].includes(error.kind));
}

/** The answer for a request no host could take (queue full, timed out, none available). */
function routingFailure(reply: FastifyReply, request: FastifyRequest, error: RoutingError, job: UpstreamJob) {
  const body = withRequestId(openAIError(error.message, 'engine_unavailable', error.code, 'model'), request.id);
  request.log.warn({ code: error.code }, printable(error.message, 2000));
  if (job.loadingStream) {
    reply.raw.end(streamErrorEvent(job.endpoint, body, error.status));
    return reply;
  }
  if (error.retryAfterSeconds !== undefined) reply.header('retry-after', String(error.retryAfterSeconds));
  return reply.code(error.status).send(body);
}

/** A host answered: its lease (release it when the exchange is over) and what `open` returned. */
export type Opened<T> =
  /** `gatewayMs`: the gateway's own time before the request that answered went out (the overhead header's base). */
  { ok: true; lease: HostLease; value: T; gatewayMs: number } | { ok: false; reply: FastifyReply };

/**
 * Opens the exchange with the first host of `job.source` that answers: `open` runs against one host
 * after another while it fails before any output in a way another host may not (refused, reset,
 * 502/503/504, loading, timeout), up to `attempts`. Every other outcome is answered here (routing
 * refusal, engine error with its status, client gone) and comes back as `{ ok: false }`.
 */
export async function openWithFailover<T>(
  request: FastifyRequest,
  reply: FastifyReply,
  job: UpstreamJob,
  open: (llm: OpenAICompatibleLLM, model: LLMModel) => Promise<T>,
): Promise<Opened<T>> {
  const { deps, source, controller, measure } = job;
  const tried = new Set<string>();
  for (let attempt = 1; ; attempt++) {
    let lease: HostLease;
    try {
      lease = await source.next(tried, controller.signal);
    } catch (error) {
      if (error instanceof RoutingError) {
        measure?.finished('rejected');
        return { ok: false, reply: routingFailure(reply, request, error, job) };
      }
      if (controller.signal.aborted) {
        measure?.finished('aborted');
        return { ok: false, reply };
      }
      throw error;
    }
    const model = lease.model;
    if (deps.logPrompts && job.promptLog !== undefined) {
      request.log.info({ model: model.modelIdentifier, request: job.promptLog }, 'model request');
    }
    const gatewayMs = elapsedMs(job.arrived);
    try {
      const value = await open(deps.factory.createLLMFor(model), model);
      return { ok: true, lease, value, gatewayMs };
    } catch (error) {
      const aborted = controller.signal.aborted;
      lease.release(!aborted && hostFault(error) ? 'failed' : 'neutral', (error as Error).message);
      markDown(deps, model, error);
      if (!aborted && retryable(error) && attempt < source.attempts) {
        tried.add(hostKey(model));
        request.log.warn({ host: model.hostUrl, attempt }, `failing over: ${printable((error as Error).message, 500)}`);
        continue;
      }
      measure?.finished(aborted ? 'aborted' : 'error', { host: model.hostUrl });
      const { status, body: errorBody } = relayFailure(request, error);
      if (job.loadingStream) {
        reply.raw.end(streamErrorEvent(job.endpoint, errorBody, status));
        return { ok: false, reply };
      }
      return {
        ok: false,
        reply: reply.code(status).header(OVERHEAD_HEADER, elapsedMs(job.arrived).toFixed(3)).send(errorBody),
      };
    }
  }
}

/**
 * Starts the client's event stream (status line and headers), unless a model load already started it
 * (`job.loadingStream`: its 200 went out with the loading comments).
 */
export function startEventStream(
  request: FastifyRequest,
  reply: FastifyReply,
  job: UpstreamJob,
  overheadMs: number,
  status = 200,
  contentType = 'text/event-stream',
): void {
  if (job.loadingStream) return;
  reply.hijack();
  reply.raw.writeHead(status, {
    'content-type': contentType,
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'x-request-id': request.id,
    [OVERHEAD_HEADER]: overheadMs.toFixed(3),
  });
}

/**
 * The bookkeeping for an exchange that broke after its host answered: the outcome in the metrics, the
 * lease released (a client that left is no fault of the host's; a host fault counts against its
 * breaker), a dead host marked down. Undefined when the client is gone (its response is destroyed);
 * else the status and body to tell it.
 */
export function settleBrokenExchange(
  request: FastifyRequest,
  reply: FastifyReply,
  job: UpstreamJob,
  lease: HostLease,
  error: unknown,
  tokens?: number,
): { status: number; body: ReturnType<typeof relayFailure>['body'] } | undefined {
  const { deps, controller, measure } = job;
  const host = lease.model.hostUrl;
  measure?.finished(
    controller.signal.aborted ? 'aborted' : 'error',
    tokens === undefined ? { host } : { host, tokens },
  );
  if (controller.signal.aborted) {
    lease.release('neutral');
    reply.raw.destroy();
    return undefined;
  }
  lease.release(hostFault(error) ? 'failed' : 'neutral', (error as Error).message);
  markDown(deps, lease.model, error);
  return relayFailure(request, error);
}

/** An engine that died mid-request: its host is marked down at once (the next refresh brings it back). */
export function markDown(deps: GatewayDeps, model: LLMModel, error: unknown): void {
  if (hostIsDown(error) && deps.factory.getModel(model.modelIdentifier)) {
    deps.factory.markHostDown(model.runtime as LocalRuntime, model.hostUrl, (error as LLMError).reason);
    deps.logger.warn({ runtime: model.runtime, host: model.hostUrl }, 'engine failed mid-request; host marked down');
  }
}
