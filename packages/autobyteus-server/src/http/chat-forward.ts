import { type ChatStreamChunk, LLMError, type LLMFactory, type LLMModel, type LocalRuntime } from 'autobyteus';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RequestMeasurement } from '../metrics/server-metrics.js';
import { type HostLease, hostKey } from '../routing/pool-dispatcher.js';
import { RoutingError } from '../routing/routing-errors.js';
import { BatchedWriter } from './batched-writer.js';
import type { GatewayDeps } from './gateway-routes.js';
import { encodeCompletion, OpenAIChunkEncoder } from './openai-chunk-encoder.js';
import { hostIsDown, openAIError, upstreamError, withRequestId } from './openai-error.js';
import { printable } from './untrusted-text.js';

/** Response header with the gateway's own time on a request, in ms (engine time excluded). */
export const OVERHEAD_HEADER = 'x-autobyteus-overhead-ms';

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

/** Where {@link forward} may send a request: one host after another, until one answers. */
export interface UpstreamSource {
  /** The next host, not one of `tried`; throws a `RoutingError` (or the abort reason) when none is left. */
  next(tried: ReadonlySet<string>, signal: AbortSignal): Promise<HostLease>;
  /** Hosts tried at most (1: no failover, e.g. a local model's own engine). */
  attempts: number;
}

/** What {@link forward} sends where. */
export interface ForwardJob {
  deps: GatewayDeps;
  source: UpstreamSource;
  body: Record<string, unknown> & {
    model: string;
    stream?: boolean;
    stream_options?: { include_usage?: boolean } | null;
  };
  controller: AbortController;
  /** `performance.now()` when the request arrived. */
  arrived: number;
  /** The SSE response was already started (a model load kept the client waiting): no status line left to send. */
  loadingStream: boolean;
  /** The request's metrics (time to first token, outcome, tokens). */
  measure?: RequestMeasurement;
}

/** Failures before any output that another host may not have: the request moves on. */
function retryable(error: unknown): boolean {
  if (!(error instanceof LLMError)) return false;
  if (['connection', 'timeout', 'loading', 'stream_interrupted'].includes(error.kind)) return true;
  return error.kind === 'engine' && [502, 503, 504].includes(error.status ?? 0);
}

/** Failures that say the host is unwell (they count against its circuit breaker), not the request. */
function hostFault(error: unknown): boolean {
  return retryable(error) || (error instanceof LLMError && ['engine', 'protocol'].includes(error.kind));
}

/** The answer for a request no host could take (queue full, timed out, none available). */
function routingFailure(reply: FastifyReply, request: FastifyRequest, error: RoutingError, loadingStream: boolean) {
  const body = withRequestId(openAIError(error.message, 'engine_unavailable', error.code, 'model'), request.id);
  request.log.warn({ code: error.code }, printable(error.message, 2000));
  if (loadingStream) {
    reply.raw.end(`data: ${JSON.stringify(body)}\n\n`);
    return reply;
  }
  if (error.retryAfterSeconds !== undefined) reply.header('retry-after', String(error.retryAfterSeconds));
  return reply.code(error.status).send(body);
}

/**
 * Sends a chat request through the library's transport to the first host of `source` that answers,
 * and relays the answer: whole, or as OpenAI SSE chunks in batched writes. A host that fails before
 * any output (refused, reset, 502/503/504, timeout) is left for the next one, up to `attempts`; the
 * client sees one answer. Errors before the first token keep their status code (unless the stream had
 * to start early); later ones end the stream with an error event.
 */
export async function forward(request: FastifyRequest, reply: FastifyReply, job: ForwardJob): Promise<FastifyReply> {
  const { deps, source, body, controller, arrived } = job;
  const measure = job.measure;
  const res = reply.raw;
  const tried = new Set<string>();
  const dispatched = () => Number(ms(arrived));
  let lease: HostLease | undefined;
  let llm: ReturnType<LLMFactory['createLLMFor']> | undefined;
  let iterator: AsyncGenerator<ChatStreamChunk> | undefined;
  let first: IteratorResult<ChatStreamChunk> | undefined;
  let answer: Awaited<ReturnType<NonNullable<typeof llm>['completeRequest']>> | undefined;
  for (let attempt = 1; ; attempt++) {
    try {
      lease = await source.next(tried, controller.signal);
    } catch (error) {
      if (error instanceof RoutingError) {
        measure?.finished('rejected');
        return routingFailure(reply, request, error, job.loadingStream);
      }
      if (controller.signal.aborted) {
        measure?.finished('aborted');
        return reply;
      }
      throw error;
    }
    const model = lease.model;
    if (deps.logPrompts) request.log.info({ model: model.modelIdentifier, messages: body.messages }, 'chat request');
    llm = deps.factory.createLLMFor(model);
    try {
      if (body.stream) {
        iterator = llm.streamRequest(body, controller.signal);
        // Wait for the engine's first chunk: errors before any token still get a proper status code.
        first = await iterator.next();
      } else {
        answer = await llm.completeRequest(body, controller.signal);
      }
      break;
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
        res.end(`data: ${JSON.stringify(errorBody)}\n\n`);
        return reply;
      }
      return reply.code(status).header(OVERHEAD_HEADER, dispatched().toFixed(3)).send(errorBody);
    }
  }
  const held = lease as HostLease;

  measure?.firstToken();
  if (answer) {
    held.release('ok');
    measure?.finished('ok', { host: held.model.hostUrl, tokens: answer.usage?.completionTokens ?? 0 });
    const started = performance.now();
    const payload = encodeCompletion(body.model, answer);
    return reply.header(OVERHEAD_HEADER, (dispatched() + Number(ms(started))).toFixed(3)).send(payload);
  }

  const encoder = new OpenAIChunkEncoder(body.model, body.stream_options?.include_usage === true);
  const firstAt = performance.now();
  if (!job.loadingStream) {
    reply.hijack();
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-request-id': request.id,
      [OVERHEAD_HEADER]: (dispatched() + (performance.now() - firstAt)).toFixed(3),
    });
  }
  const out = new BatchedWriter(res);
  const write = (text: string) => out.write(text);
  const stream = iterator as AsyncGenerator<ChatStreamChunk>;
  let tokens = 0;
  const count = (chunk: ChatStreamChunk) => {
    if (chunk.usage) tokens = chunk.usage.completionTokens;
    else if (chunk.content) tokens += 1;
  };
  try {
    const head = first as IteratorResult<ChatStreamChunk>;
    if (!head.done) {
      count(head.value);
      await write(encoder.encode(head.value));
    }
    for (let next = await stream.next(); !next.done; next = await stream.next()) {
      count(next.value);
      await write(encoder.encode(next.value));
    }
    await out.flush();
    res.end();
    held.release('ok');
    measure?.finished('ok', { host: held.model.hostUrl, tokens });
  } catch (error) {
    measure?.finished(controller.signal.aborted ? 'aborted' : 'error', { host: held.model.hostUrl, tokens });
    if (controller.signal.aborted) {
      held.release('neutral');
      res.destroy();
      return reply;
    }
    held.release(hostFault(error) ? 'failed' : 'neutral', (error as Error).message);
    markDown(deps, held.model, error);
    const { body: errorBody } = relayFailure(request, error);
    await out.flush();
    // Same shape llama-server uses: an error event, then the stream closes without [DONE].
    res.end(`data: ${JSON.stringify(errorBody)}\n\n`);
  }
  return reply;
}

/** An engine that died mid-request: its host is marked down at once (the next refresh brings it back). */
function markDown(deps: GatewayDeps, model: LLMModel, error: unknown): void {
  if (hostIsDown(error) && deps.factory.getModel(model.modelIdentifier)) {
    deps.factory.markHostDown(model.runtime as LocalRuntime, model.hostUrl, (error as LLMError).reason);
    deps.logger.warn({ runtime: model.runtime, host: model.hostUrl }, 'engine failed mid-request; host marked down');
  }
}
