import type { ChatStreamChunk } from 'autobyteus';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { HostLease } from '../../routing/pool-dispatcher.js';
import { BatchedWriter } from '../batched-writer.js';
import {
  elapsedMs,
  OVERHEAD_HEADER,
  openWithFailover,
  settleBrokenExchange,
  startEventStream,
  type UpstreamJob,
} from '../failover.js';
import { openAIError } from '../openai-error.js';
import { anthropicMessagesSchema, anthropicToChat } from './anthropic-messages-request.js';
import { AnthropicStreamEncoder, anthropicMessage } from './anthropic-messages-stream.js';
import { responsesSchema, responsesToChat } from './responses-request.js';
import { ResponsesStreamEncoder, responsesAnswer } from './responses-stream.js';
import { applyStopSequences } from './stop-sequences.js';
import {
  describeIssue,
  type StreamEncoder,
  type TranslatedAnswer,
  type TranslatedChunk,
  type Translation,
  UntranslatableInput,
} from './translation.js';

// biome-ignore lint/suspicious/noExplicitAny: the table holds translations of different body types.
type AnyTranslation = Translation<any>;

/** The endpoints answered over chat completions for engines that lack them, and how. */
export const TRANSLATIONS: Readonly<Record<'/v1/messages' | '/v1/responses', AnyTranslation>> = {
  '/v1/messages': {
    schema: anthropicMessagesSchema,
    toChat: anthropicToChat,
    whole: (model, _body, answer) => anthropicMessage(model, answer),
    stream: (model) => new AnthropicStreamEncoder(model),
  },
  '/v1/responses': {
    schema: responsesSchema,
    toChat: responsesToChat,
    whole: responsesAnswer,
    stream: (model, body) => new ResponsesStreamEncoder(model, body),
  },
};

/** A request for an endpoint the engine lacks, on its way over the engine's chat completions. */
export interface TranslatedJob extends UpstreamJob {
  body: Record<string, unknown> & { model: string };
}

/** The engine's first chunk (read inside the failover loop) followed by the rest. */
async function* resumed(
  first: IteratorResult<ChatStreamChunk>,
  rest: AsyncGenerator<ChatStreamChunk>,
): AsyncGenerator<ChatStreamChunk> {
  if (!first.done) yield first.value;
  yield* rest;
}

/** Gathers a whole answer; `events` counts the pieces, the output size when the engine sent no usage. */
async function collect(chunks: AsyncIterable<TranslatedChunk>): Promise<TranslatedAnswer> {
  const answer: TranslatedAnswer = {
    content: '',
    reasoning: '',
    toolCalls: [],
    finishReason: 'stop',
    inputTokens: 0,
    outputTokens: 0,
  };
  let events = 0;
  for await (const chunk of chunks) {
    if (!chunk.isComplete) {
      events++;
      answer.content += chunk.content ?? '';
      answer.reasoning += chunk.reasoning ?? '';
      continue;
    }
    answer.toolCalls = chunk.completeToolCalls ?? [];
    answer.finishReason = chunk.finishReason ?? 'stop';
    if (chunk.stopSequence !== undefined) answer.stopSequence = chunk.stopSequence;
    answer.inputTokens = chunk.usage?.promptTokens ?? 0;
    answer.outputTokens = chunk.usage?.completionTokens ?? events;
  }
  return answer;
}

/**
 * Answers `/v1/messages` or `/v1/responses` for an engine that lacks it: the body is checked against
 * the client API's schema, becomes a chat-completions request on the library's normalised path
 * (failover before the first chunk, abort, metrics, prompt log and overhead header as for chat), and
 * the chunks come back as the client API's answer — whole, or as its SSE events. Answers are always
 * streamed from the engine, so the client's stop sequences are applied here and reported.
 */
export async function translate(
  request: FastifyRequest,
  reply: FastifyReply,
  job: TranslatedJob,
  translation: AnyTranslation,
): Promise<FastifyReply> {
  const { controller, measure } = job;
  const res = reply.raw;
  const parsed = translation.schema.safeParse(job.body);
  let mapped: ReturnType<AnyTranslation['toChat']> | undefined;
  let refusal: { message: string; param: string } | undefined;
  if (!parsed.success) {
    const { param, message } = describeIssue(parsed.error.issues as Parameters<typeof describeIssue>[0]);
    refusal = { message: `invalid request: ${param}: ${message}`, param };
  } else {
    try {
      mapped = translation.toChat(parsed.data);
    } catch (error) {
      if (!(error instanceof UntranslatableInput)) throw error;
      refusal = { message: `invalid request: ${error.message}`, param: error.param };
    }
  }
  if (!mapped || refusal) {
    const { message, param } = refusal ?? { message: 'invalid request', param: 'body' };
    measure?.finished('error');
    const error = openAIError(message, 'invalid_request_error', 'invalid_request', param);
    if (job.loadingStream) {
      // The 200 went out while the model loaded: the refusal comes as the API's opening and error events.
      const encoder = translation.stream(job.body.model, job.body);
      res.end(encoder.start() + encoder.fail(error, 400));
      return reply;
    }
    return reply.code(400).send(error);
  }
  const body = parsed.data as Record<string, unknown> & { model: string; stream?: boolean | null };
  const chatBody: Record<string, unknown> = { ...mapped.chat, model: body.model, stream: true };
  const opened = await openWithFailover(request, reply, { ...job, promptLog: chatBody.messages }, async (llm) => {
    const chunks = llm.streamRequest(chatBody, controller.signal);
    // Wait for the engine's first chunk: errors before any output still get a status code (or another host).
    return { chunks, first: await chunks.next() };
  });
  if (!opened.ok) return opened.reply;
  const { lease, value, gatewayMs } = opened;
  measure?.firstToken();
  const chunks = applyStopSequences(resumed(value.first, value.chunks), mapped.stopSequences);

  if (body.stream !== true) {
    let answer: TranslatedAnswer;
    try {
      answer = await collect(chunks);
    } catch (error) {
      return failed(request, reply, job, lease, error, 0);
    }
    lease.release('ok');
    measure?.finished('ok', { host: lease.model.hostUrl, tokens: answer.outputTokens });
    const started = performance.now();
    const payload = translation.whole(body.model, body, answer);
    return reply.header(OVERHEAD_HEADER, (gatewayMs + elapsedMs(started)).toFixed(3)).send(payload);
  }

  const firstAt = performance.now();
  const encoder = translation.stream(body.model, body);
  startEventStream(request, reply, job, gatewayMs + elapsedMs(firstAt));
  const out = new BatchedWriter(res);
  let tokens = 0;
  try {
    await out.write(encoder.start());
    for await (const chunk of chunks) {
      if (chunk.usage) tokens = chunk.usage.completionTokens;
      else if (!chunk.isComplete) tokens += 1;
      await out.write(encoder.encode(chunk));
    }
    await out.flush();
    res.end();
    lease.release('ok');
    measure?.finished('ok', { host: lease.model.hostUrl, tokens });
  } catch (error) {
    await out.flush();
    return failed(request, reply, job, lease, error, tokens, encoder);
  }
  return reply;
}

/**
 * An engine answer that broke after the host answered: the client that left is let go; otherwise
 * the host's breaker hears of it, a dead host is marked down, and the client gets the error — as a
 * status and body when nothing was sent yet, else as the client API's error events.
 */
function failed(
  request: FastifyRequest,
  reply: FastifyReply,
  job: TranslatedJob,
  lease: HostLease,
  error: unknown,
  tokens: number,
  encoder?: StreamEncoder,
): FastifyReply {
  const failure = settleBrokenExchange(request, reply, job, lease, error, tokens);
  if (!failure) return reply;
  if (encoder) {
    reply.raw.end(encoder.fail(failure.body, failure.status));
    return reply;
  }
  return reply.code(failure.status).send(failure.body);
}
