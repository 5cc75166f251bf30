import type { ChatStreamChunk, LLMError, LLMModel, LocalRuntime } from 'autobyteus';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { BatchedWriter } from './batched-writer.js';
import type { GatewayDeps } from './gateway-routes.js';
import { encodeCompletion, OpenAIChunkEncoder } from './openai-chunk-encoder.js';
import { hostIsDown, upstreamError, withRequestId } from './openai-error.js';
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

/** What {@link forward} sends where. */
export interface ForwardJob {
  deps: GatewayDeps;
  model: LLMModel;
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
}

/**
 * Sends a chat request to `model`'s engine through the library's transport and relays the answer:
 * whole, or as OpenAI SSE chunks in batched writes. Errors before the first token keep their status
 * code (unless the stream had to start early); later ones end the stream with an error event.
 */
export async function forward(request: FastifyRequest, reply: FastifyReply, job: ForwardJob): Promise<FastifyReply> {
  const { deps, model, body, controller, arrived } = job;
  if (deps.logPrompts) request.log.info({ model: model.modelIdentifier, messages: body.messages }, 'chat request');
  const llm = deps.factory.createLLMFor(model);
  const failed = (error: unknown) => {
    if (hostIsDown(error) && deps.factory.getModel(model.modelIdentifier)) {
      deps.factory.markHostDown(model.runtime as LocalRuntime, model.hostUrl, (error as LLMError).reason);
      deps.logger.warn({ runtime: model.runtime, host: model.hostUrl }, 'engine failed mid-request; host marked down');
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
  const res = reply.raw;
  let first: IteratorResult<ChatStreamChunk>;
  try {
    // Wait for the engine's first chunk: errors before any token still get a proper status code.
    first = await iterator.next();
  } catch (error) {
    failed(error);
    const { status, body: errorBody } = relayFailure(request, error);
    if (job.loadingStream) {
      res.end(`data: ${JSON.stringify(errorBody)}\n\n`);
      return reply;
    }
    return reply.code(status).header(OVERHEAD_HEADER, dispatched.toFixed(3)).send(errorBody);
  }
  const firstAt = performance.now();
  if (!job.loadingStream) {
    reply.hijack();
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-request-id': request.id,
      [OVERHEAD_HEADER]: (dispatched + (performance.now() - firstAt)).toFixed(3),
    });
  }
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
      return reply;
    }
    failed(error);
    const { body: errorBody } = relayFailure(request, error);
    await out.flush();
    // Same shape llama-server uses: an error event, then the stream closes without [DONE].
    res.end(`data: ${JSON.stringify(errorBody)}\n\n`);
  }
  return reply;
}
