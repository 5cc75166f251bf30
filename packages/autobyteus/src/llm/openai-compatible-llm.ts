import type { Logger } from '../logging/logger.js';
import { apiKeyFor, type HostKeyLookup } from '../settings/host-keys.js';
import type { AutobyteusSettings } from '../settings/settings.js';
import { buildChatRequestBody, type ChatRequestBody } from '../transport/chat-request.js';
import type { ChatMessage, ChatRequestOptions, ChatResponse, ChatStreamChunk } from '../transport/chat-types.js';
import type { HttpClient, HttpResponse } from '../transport/http-client.js';
import { forwardToEngine, OpenAICompatibleTransport } from '../transport/openai-compatible-transport.js';
import { type LLMConfig, mergeConfig } from './llm-config.js';
import type { LLMModel } from './llm-model.js';
import type { LocalRuntime } from './llm-runtime.js';

/** What an LLM client needs from its surroundings; the factory passes its own. */
export interface LLMDependencies {
  http: HttpClient;
  settings: AutobyteusSettings;
  logger: Logger;
  /** Keys of hosts the application runs itself; they win over the settings' keys. */
  hostKeys?: HostKeyLookup;
}

/**
 * A chat client for one model on one host, speaking the OpenAI-compatible API through the shared
 * transport. Runtime classes override `adaptRequest` for engine-specific request fields.
 */
export class OpenAICompatibleLLM {
  /** The model's discovered defaults merged with the caller's config. */
  readonly config: LLMConfig;
  protected readonly transport: OpenAICompatibleTransport;

  constructor(
    readonly model: LLMModel,
    config: LLMConfig | undefined,
    protected readonly deps: LLMDependencies,
  ) {
    this.config = mergeConfig(model.defaultConfig, config);
    const runtimeSettings = deps.settings.runtimes[model.runtime as LocalRuntime];
    this.transport = new OpenAICompatibleTransport({
      runtime: model.runtime,
      baseUrl: model.hostUrl,
      apiKey:
        deps.hostKeys?.(model.runtime as LocalRuntime, model.hostUrl) ??
        (runtimeSettings && apiKeyFor(runtimeSettings, model.hostUrl, model.metadata.hostEntry)),
      http: deps.http,
      requestTimeoutMs: deps.settings.requestTimeoutMs,
    });
  }

  /** Sends the conversation and waits for the whole answer. */
  async sendMessages(messages: ChatMessage[], options: ChatRequestOptions = {}): Promise<ChatResponse> {
    return this.transport.complete(this.buildBody(messages, options, false), options.signal);
  }

  /** Streams the answer; the last chunk has `isComplete: true` with usage and finish reason. */
  streamMessages(messages: ChatMessage[], options: ChatRequestOptions = {}): AsyncGenerator<ChatStreamChunk> {
    return this.transport.stream(this.buildBody(messages, options, true), options.signal);
  }

  /** Convenience: one user message in, the answer text out. */
  async complete(prompt: string, options: ChatRequestOptions = {}): Promise<string> {
    return (await this.sendMessages([{ role: 'user', content: prompt }], options)).content;
  }

  /**
   * Streams an already built OpenAI request body (a gateway forwarding a client's request). The
   * body's `model` is replaced by this model's value and the runtime's request extras are applied.
   */
  streamRequest(body: Record<string, unknown>, signal?: AbortSignal): AsyncGenerator<ChatStreamChunk> {
    return this.transport.stream(this.adaptRequest(this.forwardedBody(body, true)), signal);
  }

  /** Non-streamed counterpart of `streamRequest`. */
  async completeRequest(body: Record<string, unknown>, signal?: AbortSignal): Promise<ChatResponse> {
    return this.transport.complete(this.adaptRequest(this.forwardedBody(body, false)), signal);
  }

  /**
   * Forwards a client's request body to another endpoint of this model's engine (`/v1/completions`,
   * `/v1/embeddings`, `/v1/responses`, `/v1/messages`, ...), with `model` set to this model's value,
   * and returns the open response for the caller to relay byte for byte. Throws the typed error for
   * a connection failure or a 5xx answer; a 4xx answer is returned as it is.
   */
  forwardRequest(
    path: string,
    body: Record<string, unknown>,
    signal?: AbortSignal,
    throwOn: 'server' | 'all' = 'server',
  ): Promise<HttpResponse> {
    return forwardToEngine(this.transport.options, path, { ...body, model: this.model.value }, signal, throwOn);
  }

  private forwardedBody(body: Record<string, unknown>, stream: boolean): ChatRequestBody {
    const messages = Array.isArray(body.messages) ? body.messages : [];
    const forwarded: ChatRequestBody = { ...body, model: this.model.value, messages, stream };
    if (stream) forwarded.stream_options = { include_usage: true };
    else delete forwarded.stream_options;
    return forwarded;
  }

  /** Hook for engine-specific request fields; the default sends the body unchanged. */
  protected adaptRequest(body: ChatRequestBody): ChatRequestBody {
    return body;
  }

  private buildBody(messages: ChatMessage[], options: ChatRequestOptions, stream: boolean): ChatRequestBody {
    return this.adaptRequest(buildChatRequestBody(this.model.value, messages, this.config, options, stream));
  }
}
