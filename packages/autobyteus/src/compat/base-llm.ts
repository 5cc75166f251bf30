import type { LLMConfig } from './llm-config.js';
import type { LLMExtension } from './llm-extension.js';
import type { LLMModel } from './llm-model.js';
import type { MessageLike } from './message-renderer.js';
import { Message, MessageRole } from './messages.js';
import { type ChunkResponse, CompleteResponse } from './response-types.js';
import type { TokenUsage } from './token-usage.js';
import type { LLMUserMessage } from './user-message.js';

/** Per-call options: an abort signal, and the caller's turn id (kept for its logs, not sent). */
export interface LLMInvocationOptions {
  signal?: AbortSignal | null;
  turnId?: string | null;
}

/**
 * autobyteus-ts's LLM surface. Stateless between calls, as there: `sendUserMessage` /
 * `streamUserMessage` send the system prompt and that one message; a conversation is sent whole
 * through `sendMessages` / `streamMessages` by whoever keeps its history (an agent's memory).
 * Subclasses implement the two `_…ToLLM` methods.
 */
export abstract class BaseLLM {
  static DEFAULT_SYSTEM_MESSAGE = 'You are a helpful assistant';

  systemMessage: string;
  private readonly extensions: LLMExtension[] = [];
  private lastUsage: TokenUsage | null = null;

  constructor(
    public model: LLMModel,
    public config: LLMConfig,
  ) {
    this.systemMessage = config.systemMessage || BaseLLM.DEFAULT_SYSTEM_MESSAGE;
  }

  /** Usage of the last finished call, as the engine counted it; null before the first. */
  get latestTokenUsage(): TokenUsage | null {
    return this.lastUsage;
  }

  /** Replaces the system prompt for later calls (an empty prompt is ignored). */
  configureSystemPrompt(newSystemPrompt: string): void {
    if (!newSystemPrompt) return;
    this.systemMessage = newSystemPrompt;
    this.config.systemMessage = newSystemPrompt;
  }

  registerExtension<T extends LLMExtension>(extension: T): T {
    if (!this.extensions.includes(extension)) this.extensions.push(extension);
    return extension;
  }

  unregisterExtension(extension: LLMExtension): void {
    const index = this.extensions.indexOf(extension);
    if (index !== -1) this.extensions.splice(index, 1);
  }

  // biome-ignore lint/suspicious/noExplicitAny: extension classes take the LLM and their own arguments.
  getExtension<T extends LLMExtension>(extensionClass: abstract new (...args: any[]) => T): T | null {
    return (this.extensions.find((entry) => entry instanceof extensionClass) as T | undefined) ?? null;
  }

  async sendMessages(
    messages: readonly MessageLike[],
    renderedPayload: unknown = null,
    kwargs: Record<string, unknown> = {},
    options: LLMInvocationOptions = {},
  ): Promise<CompleteResponse> {
    for (const extension of this.extensions) await extension.beforeInvoke(messages, renderedPayload, kwargs);
    const response = await this._sendMessagesToLLM(messages, kwargs, options);
    this.lastUsage = response.usage;
    for (const extension of this.extensions) await extension.afterInvoke(messages, response, kwargs);
    return response;
  }

  async *streamMessages(
    messages: readonly MessageLike[],
    renderedPayload: unknown = null,
    kwargs: Record<string, unknown> = {},
    options: LLMInvocationOptions = {},
  ): AsyncGenerator<ChunkResponse, void, unknown> {
    for (const extension of this.extensions) await extension.beforeInvoke(messages, renderedPayload, kwargs);
    let content = '';
    let reasoning = '';
    let usage: TokenUsage | null = null;
    for await (const chunk of this._streamMessagesToLLM(messages, kwargs, options)) {
      content += chunk.content;
      reasoning += chunk.reasoning ?? '';
      if (chunk.is_complete) usage = chunk.usage;
      yield chunk;
    }
    this.lastUsage = usage;
    const response = new CompleteResponse({ content, reasoning: reasoning || null, usage });
    for (const extension of this.extensions) await extension.afterInvoke(messages, response, kwargs);
  }

  sendUserMessage(
    userMessage: LLMUserMessage,
    kwargs: Record<string, unknown> = {},
    options: LLMInvocationOptions = {},
  ): Promise<CompleteResponse> {
    return this.sendMessages(this.withSystemPrompt(userMessage), null, kwargs, options);
  }

  streamUserMessage(
    userMessage: LLMUserMessage,
    kwargs: Record<string, unknown> = {},
    options: LLMInvocationOptions = {},
  ): AsyncGenerator<ChunkResponse, void, unknown> {
    return this.streamMessages(this.withSystemPrompt(userMessage), null, kwargs, options);
  }

  /** Runs the extensions' cleanup and drops them. Pooled connections belong to the factory. */
  async cleanup(): Promise<void> {
    for (const extension of this.extensions) await extension.cleanup();
    this.extensions.length = 0;
  }

  protected abstract _sendMessagesToLLM(
    messages: readonly MessageLike[],
    kwargs: Record<string, unknown>,
    options: LLMInvocationOptions,
  ): Promise<CompleteResponse>;

  protected abstract _streamMessagesToLLM(
    messages: readonly MessageLike[],
    kwargs: Record<string, unknown>,
    options: LLMInvocationOptions,
  ): AsyncGenerator<ChunkResponse, void, unknown>;

  private withSystemPrompt(userMessage: LLMUserMessage): Message[] {
    const messages: Message[] = [];
    if (this.systemMessage) messages.push(new Message(MessageRole.SYSTEM, this.systemMessage));
    messages.push(
      new Message(MessageRole.USER, {
        content: userMessage.content,
        image_urls: userMessage.image_urls,
        audio_urls: userMessage.audio_urls,
        video_urls: userMessage.video_urls,
      }),
    );
    return messages;
  }
}
