import { type ChatResponse, type ChatStreamChunk, type HttpResponse, StreamInterruptedError } from 'autobyteus';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { HostLease } from '../routing/pool-dispatcher.js';
import { BatchedWriter } from './batched-writer.js';
import {
  elapsedMs,
  OVERHEAD_HEADER,
  openWithFailover,
  settleBrokenExchange,
  startEventStream,
  type UpstreamJob,
} from './failover.js';
import { encodeCompletion, OpenAIChunkEncoder } from './openai-chunk-encoder.js';
import { pipeEvents } from './relay-forward.js';

export { OVERHEAD_HEADER, type UpstreamSource } from './failover.js';

/** A chat request on its way: the upstream job plus the client's body. */
export interface ForwardJob extends UpstreamJob {
  body: Record<string, unknown> & {
    model: string;
    stream?: boolean;
    stream_options?: { include_usage?: boolean } | null;
  };
}

type FirstAnswer =
  | { kind: 'whole'; answer: ChatResponse }
  | { kind: 'stream'; stream: AsyncGenerator<ChatStreamChunk>; first: IteratorResult<ChatStreamChunk> }
  /** The engine's own stream, relayed as bytes (`chatStreamPassThrough` engines), its first bytes read. */
  | { kind: 'bytes'; response: HttpResponse; chunks: AsyncGenerator<Buffer>; first: IteratorResult<Buffer> };

const CHAT_PATH = '/v1/chat/completions';

/**
 * Sends a chat request through the library's transport to the first host of `source` that answers
 * (see `openWithFailover`), and relays the answer: whole, or as OpenAI SSE chunks in batched writes.
 * Errors before the first token keep their status code (unless the stream had to start early); later
 * ones end the stream with an error event.
 */
export async function forward(request: FastifyRequest, reply: FastifyReply, job: ForwardJob): Promise<FastifyReply> {
  const { deps, body, controller, measure } = job;
  const res = reply.raw;
  const opened = await openWithFailover<FirstAnswer>(
    request,
    reply,
    { ...job, promptLog: body.messages },
    async (llm, model) => {
      if (!body.stream) return { kind: 'whole', answer: await llm.completeRequest(body, controller.signal) };
      if (deps.capabilities.passesChatThrough(model.runtime)) {
        // Any 4xx throws too, so context overflow and the like keep the gateway's error shapes.
        const response = await llm.forwardRequest(CHAT_PATH, body, controller.signal, 'all');
        const chunks = response.chunks();
        // Headers alone do not count as output: a host that dies before its first event fails over.
        return { kind: 'bytes', response, chunks, first: await chunks.next() };
      }
      const stream = llm.streamRequest(body, controller.signal);
      // Wait for the engine's first chunk: errors before any token still get a proper status code.
      return { kind: 'stream', stream, first: await stream.next() };
    },
  );
  if (!opened.ok) return opened.reply;
  const { lease, value, gatewayMs } = opened;
  measure?.firstToken();

  if (value.kind === 'whole') {
    lease.release('ok');
    measure?.finished('ok', { host: lease.model.hostUrl, tokens: value.answer.usage?.completionTokens ?? 0 });
    const started = performance.now();
    const payload = encodeCompletion(body.model, value.answer);
    return reply.header(OVERHEAD_HEADER, (gatewayMs + elapsedMs(started)).toFixed(3)).send(payload);
  }

  const firstAt = performance.now();
  startEventStream(request, reply, job, gatewayMs + elapsedMs(firstAt));
  if (value.kind === 'bytes') return relayChatBytes(request, reply, job, lease, value);
  const encoder = new OpenAIChunkEncoder(body.model, body.stream_options?.include_usage === true);
  const out = new BatchedWriter(res);
  const write = (text: string) => out.write(text);
  let tokens = 0;
  const count = (chunk: ChatStreamChunk) => {
    if (chunk.usage) tokens = chunk.usage.completionTokens;
    else if (chunk.content) tokens += 1;
  };
  try {
    if (!value.first.done) {
      count(value.first.value);
      await write(encoder.encode(value.first.value));
    }
    for (let next = await value.stream.next(); !next.done; next = await value.stream.next()) {
      count(next.value);
      await write(encoder.encode(next.value));
    }
    await out.flush();
    res.end();
    lease.release('ok');
    measure?.finished('ok', { host: lease.model.hostUrl, tokens });
  } catch (error) {
    await endBrokenStream(request, reply, job, lease, error, tokens, () => out.flush());
  }
  return reply;
}

/**
 * A stream that broke after its 200 went out: the client is gone (stop), or gets an error event in
 * the shape llama-server uses and the stream closes without `[DONE]`; the host's breaker hears of it
 * and a dead host is marked down.
 */
async function endBrokenStream(
  request: FastifyRequest,
  reply: FastifyReply,
  job: ForwardJob,
  lease: HostLease,
  error: unknown,
  tokens: number,
  flush: () => Promise<void> = async () => {},
): Promise<void> {
  const failure = settleBrokenExchange(request, reply, job, lease, error, tokens);
  if (!failure) return;
  await flush();
  reply.raw.end(`data: ${JSON.stringify(failure.body)}\n\n`);
}

/**
 * The fast path: the engine's chat stream relayed byte for byte (model field rewritten), with the
 * normalised path's guarantees kept: a stream cut before `[DONE]` ends with an error event, the host
 * is marked down, a client that goes away aborts the engine.
 */
async function relayChatBytes(
  request: FastifyRequest,
  reply: FastifyReply,
  job: ForwardJob,
  lease: HostLease,
  opened: { response: HttpResponse; chunks: AsyncGenerator<Buffer>; first: IteratorResult<Buffer> },
): Promise<FastifyReply> {
  const { measure } = job;
  const { response } = opened;
  const res = reply.raw;
  let events = 0;
  try {
    const piped = await pipeEvents(opened, res, job.body.model);
    events = piped.events;
    if (!piped.sawDone) {
      throw new StreamInterruptedError(response.context, 'stream ended before [DONE]', {
        hint: 'the engine closed the connection early; check its log',
      });
    }
    if (!res.writableEnded) res.end();
    lease.release('ok');
    measure?.finished('ok', { host: lease.model.hostUrl, tokens: events });
  } catch (error) {
    response.dispose();
    await endBrokenStream(request, reply, job, lease, error, events);
  }
  return reply;
}
