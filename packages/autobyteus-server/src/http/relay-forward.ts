import type { ServerResponse } from 'node:http';
import type { ForwardedEndpoint, HttpResponse } from 'autobyteus';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  OVERHEAD_HEADER,
  openWithFailover,
  settleBrokenExchange,
  startEventStream,
  type UpstreamJob,
} from './failover.js';
import { rewriteJsonModel, SseModelRewriter } from './model-field-rewriter.js';
import { engineErrorBody, streamErrorEvent } from './stream-error-event.js';

/** What {@link pipeEvents} saw of a relayed stream. */
export interface PipedStream {
  /** The stream ended with `data: [DONE]`. */
  sawDone: boolean;
  /** SSE events relayed (about one per token for a chat stream). */
  events: number;
}

/** The stream's last event, `data: [DONE]`, at the end of what was relayed. */
const DONE_TAIL = /data: \[DONE\]\s*$/;

/**
 * Copies an engine's SSE body to the client as it arrives, with only the `model` field set back to
 * `model` (see {@link SseModelRewriter}); waits for `drain` when the client reads slowly. The read
 * that ends with `data: [DONE]` ends the response too (one write for the last bytes and the chunked
 * terminator, and the client has its end without waiting for the engine's); the engine's body is still
 * read to its end. Otherwise the response is left open. Throws the transport's typed error when the
 * engine's stream breaks.
 */
export async function pipeEvents(
  source: HttpResponse | { chunks: AsyncGenerator<Buffer>; first: IteratorResult<Buffer> },
  res: ServerResponse,
  model: string,
): Promise<PipedStream> {
  const rewriter = new SseModelRewriter(model);
  let events = 0;
  let last = '';
  const send = async (chunk: Buffer) => {
    const out = rewriter.push(chunk);
    // Nothing an engine sends after [DONE] can reach the client.
    if (!out || res.writableEnded) return;
    for (let i = out.indexOf('\n\n'); i !== -1; i = out.indexOf('\n\n', i + 2)) events++;
    last = out.length >= 64 ? out.slice(-64) : (last + out).slice(-64);
    // Byte strings (see SseModelRewriter): latin1 writes each character as the byte it stands for.
    if (DONE_TAIL.test(last)) res.end(out, 'latin1');
    else if (!res.write(out, 'latin1')) await new Promise((resolve) => res.once('drain', resolve));
  };
  if ('first' in source) {
    if (!source.first.done) await send(source.first.value);
    for await (const chunk of source.chunks) await send(chunk);
  } else {
    for await (const chunk of source.chunks()) await send(chunk);
  }
  const rest = rewriter.flush();
  if (rest && !res.writableEnded) {
    last = (last + rest).slice(-64);
    res.write(rest, 'latin1');
  }
  return { sawDone: DONE_TAIL.test(last), events };
}

/** Largest non-streamed answer relayed (embeddings of a big batch are the large case). */
const MAX_WHOLE_BYTES = 64 * 1024 * 1024;

/** A request for an endpoint the engine serves itself. */
export interface RelayJob extends UpstreamJob {
  endpoint: ForwardedEndpoint;
  body: Record<string, unknown> & { model: string };
}

/**
 * Passes a request through to the engine's own endpoint (`/v1/completions`, `/v1/embeddings`,
 * `/v1/responses`, `/v1/messages`, ...) on the first host of the pool that answers, and relays the
 * engine's bytes: status, content type and body, with only the `model` field set back to the name the
 * client asked for. Streams are cut at event boundaries, never parsed; failover, abort, the overhead
 * header and metrics are the chat route's.
 */
export async function relay(request: FastifyRequest, reply: FastifyReply, job: RelayJob): Promise<FastifyReply> {
  const { body, controller, measure } = job;
  const opened = await openWithFailover(request, reply, { ...job, promptLog: body }, (llm) =>
    llm.forwardRequest(job.endpoint, body, controller.signal),
  );
  if (!opened.ok) return opened.reply;
  const { lease, value: response, gatewayMs } = opened;
  measure?.firstToken();
  const res = reply.raw;
  const streaming = response.contentType.includes('text/event-stream');
  try {
    if (!streaming) {
      const text = await response.text(MAX_WHOLE_BYTES);
      lease.release(response.status < 400 ? 'ok' : 'neutral');
      measure?.finished(response.status < 400 ? 'ok' : 'error', { host: lease.model.hostUrl });
      const payload = response.status < 400 ? rewriteJsonModel(text, body.model) : text;
      if (job.loadingStream) {
        // The stream was opened while the model loaded: the engine's answer goes out as one event.
        if (response.status >= 400) res.end(streamErrorEvent(job.endpoint, engineErrorBody(text), response.status));
        else res.end(`data: ${payload.replace(/\n/g, ' ')}\n\n`);
        return reply;
      }
      return reply
        .code(response.status)
        .header('content-type', response.contentType || 'application/json')
        .header(OVERHEAD_HEADER, gatewayMs.toFixed(3))
        .send(payload);
    }
    startEventStream(request, reply, job, gatewayMs, response.status, response.contentType);
    await pipeEvents(response, res, body.model);
    if (!res.writableEnded) res.end();
    lease.release('ok');
    measure?.finished('ok', { host: lease.model.hostUrl });
  } catch (error) {
    response.dispose();
    const failure = settleBrokenExchange(request, reply, job, lease, error);
    if (!failure) return reply;
    if (!reply.sent && !res.headersSent) return reply.code(failure.status).send(failure.body);
    res.end(streamErrorEvent(job.endpoint, failure.body, failure.status));
  }
  return reply;
}
