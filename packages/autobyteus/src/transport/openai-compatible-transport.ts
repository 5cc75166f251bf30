import type { ChatRequestBody } from './chat-request.js';
import type { ChatResponse, ChatStreamChunk } from './chat-types.js';
import { ChunkNormalizer, toTimings, toToolCalls, toUsage } from './chunk-normalizer.js';
import { errorFromResponse, parseEngineErrorJson } from './engine-error-body.js';
import type { HttpClient, HttpResponse } from './http-client.js';
import { authHeaders, describeSchemaError, requestJson } from './json-request.js';
import { EngineProtocolError, type RequestContext, StreamInterruptedError } from './llm-errors.js';
import { readSseData } from './sse-reader.js';
import { chatChunkSchema, chatResponseSchema } from './wire-schemas.js';

export interface TransportOptions {
  /** Runtime name used in errors, e.g. `llama_cpp`. */
  runtime: string;
  /** Host base URL without `/v1`. */
  baseUrl: string;
  apiKey?: string;
  http: HttpClient;
  /** Bound for a whole request; 0 for none. */
  requestTimeoutMs: number;
}

const CHAT_PATH = '/v1/chat/completions';

/**
 * Chat completions over the OpenAI-compatible HTTP API, shared by every local runtime. Engine
 * differences in the wire format are normalised here, so runtime classes stay thin.
 */
export class OpenAICompatibleTransport {
  constructor(readonly options: TransportOptions) {}

  private context(model: string): RequestContext {
    return { runtime: this.options.runtime, host: this.options.baseUrl, endpoint: `POST ${CHAT_PATH}`, model };
  }

  /** Sends a non-streamed request and returns the whole answer. */
  async complete(body: ChatRequestBody, signal?: AbortSignal): Promise<ChatResponse> {
    const wire = await requestJson({
      http: this.options.http,
      method: 'POST',
      baseUrl: this.options.baseUrl,
      path: CHAT_PATH,
      runtime: this.options.runtime,
      schema: chatResponseSchema,
      apiKey: this.options.apiKey,
      body: { ...body, stream: false },
      signal,
      model: body.model,
      totalTimeoutMs: this.options.requestTimeoutMs,
      // A non-streamed answer arrives all at once: waiting for headers is the whole generation.
      queueTimeoutMs: this.options.requestTimeoutMs || undefined,
    });
    const choice = wire.choices[0];
    const message = choice?.message;
    return {
      content: message?.content ?? '',
      reasoning: message?.reasoning_content ?? message?.reasoning ?? undefined,
      toolCalls: toToolCalls(message?.tool_calls),
      finishReason: choice?.finish_reason ?? undefined,
      usage: toUsage(wire.usage),
      timings: toTimings(wire.timings),
      model: wire.model,
    };
  }

  /**
   * Streams the answer as normalised chunks, ending with exactly one `isComplete` chunk. Breaking
   * out of the loop or aborting the signal closes the connection, which makes the engine stop.
   */
  async *stream(body: ChatRequestBody, signal?: AbortSignal): AsyncGenerator<ChatStreamChunk> {
    const context = this.context(body.model);
    const response = await this.options.http.open({
      method: 'POST',
      url: this.options.baseUrl + CHAT_PATH,
      context,
      headers: {
        'content-type': 'application/json',
        accept: 'text/event-stream',
        ...authHeaders(this.options.apiKey),
      },
      body: JSON.stringify({ ...body, stream: true }),
      signal,
      totalTimeoutMs: this.options.requestTimeoutMs,
    });
    try {
      await assertEventStream(response, context);
      const normalizer = new ChunkNormalizer();
      let sawDone = false;
      for await (const data of readSseData(response)) {
        if (data === '[DONE]') {
          sawDone = true;
          break;
        }
        const chunk = normalizer.accept(parseChunk(data, context));
        if (chunk) yield chunk;
      }
      if (!sawDone) {
        throw new StreamInterruptedError(context, 'stream ended before [DONE]', {
          hint: 'the engine closed the connection early; check its log',
        });
      }
      yield normalizer.complete();
    } finally {
      response.dispose();
    }
  }
}

/**
 * Sends `body` to another endpoint of the engine (`/v1/completions`, `/v1/embeddings`,
 * `/v1/messages`, ...) and hands back the open response for the caller to relay as it is. A status
 * of 500 or more (or a failure to connect) throws the typed error, so a gateway can try another host
 * before anything was sent to its client; a 4xx answer is returned, since the engine's own error body
 * is what the client should see.
 */
export async function forwardToEngine(
  options: TransportOptions,
  path: string,
  body: Record<string, unknown>,
  signal?: AbortSignal,
  /** `all`: a 4xx throws its typed error too (a gateway keeping its own error shapes). */
  throwOn: 'server' | 'all' = 'server',
): Promise<HttpResponse> {
  const streaming = body.stream === true;
  const context: RequestContext = {
    runtime: options.runtime,
    host: options.baseUrl,
    endpoint: `POST ${path}`,
    ...(typeof body.model === 'string' ? { model: body.model } : {}),
  };
  const response = await options.http.open({
    method: 'POST',
    url: options.baseUrl + path,
    context,
    headers: {
      'content-type': 'application/json',
      accept: streaming ? 'text/event-stream' : 'application/json',
      ...authHeaders(options.apiKey),
    },
    body: JSON.stringify(body),
    signal,
    totalTimeoutMs: options.requestTimeoutMs,
    // A non-streamed answer arrives all at once: waiting for headers is the whole generation.
    ...(streaming ? {} : { queueTimeoutMs: options.requestTimeoutMs || undefined }),
  });
  if (response.status >= (throwOn === 'all' ? 400 : 500)) {
    throw errorFromResponse(context, response.status, await response.text(1024 * 1024));
  }
  return response;
}

async function assertEventStream(response: HttpResponse, context: RequestContext): Promise<void> {
  if (response.status >= 400) {
    throw errorFromResponse(context, response.status, await response.text(1024 * 1024));
  }
  if (!response.contentType.includes('text/event-stream')) {
    const text = await response.text(1024 * 1024);
    try {
      const engineError = parseEngineErrorJson(JSON.parse(text));
      if (engineError) throw errorFromResponse(context, response.status, text);
    } catch (error) {
      if (!(error instanceof SyntaxError)) throw error;
    }
    const snippet = text.replace(/\s+/g, ' ').trim().slice(0, 120);
    throw new EngineProtocolError(
      context,
      `expected an event stream, got ${response.contentType || 'no content type'}: ${snippet || 'empty body'}`,
      { status: response.status },
    );
  }
}

function parseChunk(data: string, context: RequestContext) {
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch {
    throw new EngineProtocolError(context, `invalid JSON in stream event: ${data.slice(0, 120)}`);
  }
  if (json !== null && typeof json === 'object' && 'error' in json) {
    const engineError = parseEngineErrorJson(json);
    throw new StreamInterruptedError(
      context,
      `engine error mid-stream: ${engineError?.message ?? data.slice(0, 200)}`,
      {
        engineMessage: engineError?.message,
        engineType: engineError?.type,
      },
    );
  }
  const parsed = chatChunkSchema.safeParse(json);
  if (!parsed.success) {
    throw new EngineProtocolError(context, `unexpected stream chunk: ${describeSchemaError(parsed.error)}`);
  }
  return parsed.data;
}
