import type { OpenAICompatibleLLM } from '../llm/openai-compatible-llm.js';
import { buildChatRequestBody, type ChatRequestBody } from '../transport/chat-request.js';
import type { ChatStreamChunk } from '../transport/chat-types.js';
import { BaseLLM, type LLMInvocationOptions } from './base-llm.js';
import { type LLMConfig, toCoreConfig } from './llm-config.js';
import type { LLMModel } from './llm-model.js';
import { type MessageLike, renderMessages } from './message-renderer.js';
import { parseRequestKwargs } from './request-kwargs.js';
import { ChunkResponse, CompleteResponse } from './response-types.js';
import { toTokenUsage } from './token-usage.js';
import { toToolCallDelta } from './tool-call-delta.js';

/**
 * The `BaseLLM` of every local runtime (llama.cpp, MLX, LM Studio, Ollama, OpenAI-compatible):
 * renders the messages, builds the request from `config` (read on every call, so changes apply) and
 * the call's kwargs, and sends it through our client for that runtime — the same transport, pooled
 * connections and engine quirks as the rest of the library. Errors are the library's typed
 * `LLMError`s (connection, timeout, abort, context overflow, ...).
 */
export class LocalEngineLLM extends BaseLLM {
  constructor(
    model: LLMModel,
    config: LLMConfig,
    /** Our client for the model, from the factory's `createLLMFor`. */
    readonly client: OpenAICompatibleLLM,
  ) {
    super(model, config);
  }

  protected async _sendMessagesToLLM(
    messages: readonly MessageLike[],
    kwargs: Record<string, unknown>,
    options: LLMInvocationOptions,
  ): Promise<CompleteResponse> {
    const body = await this.buildBody(messages, kwargs, false);
    const answer = await this.client.completeRequest(body, options.signal ?? undefined);
    return new CompleteResponse({
      content: answer.content,
      reasoning: answer.reasoning || null,
      usage: toTokenUsage(answer.usage),
    });
  }

  protected async *_streamMessagesToLLM(
    messages: readonly MessageLike[],
    kwargs: Record<string, unknown>,
    options: LLMInvocationOptions,
  ): AsyncGenerator<ChunkResponse, void, unknown> {
    const body = await this.buildBody(messages, kwargs, true);
    for await (const chunk of this.client.streamRequest(body, options.signal ?? undefined)) {
      yield toChunkResponse(chunk);
    }
  }

  private async buildBody(
    messages: readonly MessageLike[],
    kwargs: Record<string, unknown>,
    stream: boolean,
  ): Promise<ChatRequestBody> {
    const core = this.model.core;
    const { tools, toolChoice, extraFields } = parseRequestKwargs(kwargs, core);
    const rendered = await renderMessages(messages, core);
    const body = buildChatRequestBody(core.value, rendered, toCoreConfig(this.config), { tools, toolChoice }, stream);
    return { ...body, ...extraFields };
  }
}

function toChunkResponse(chunk: ChatStreamChunk): ChunkResponse {
  return new ChunkResponse({
    content: chunk.content ?? '',
    reasoning: chunk.reasoning ?? null,
    is_complete: chunk.isComplete,
    usage: toTokenUsage(chunk.usage),
    tool_calls: chunk.toolCalls?.length ? chunk.toolCalls.map(toToolCallDelta) : null,
  });
}
