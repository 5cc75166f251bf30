import { randomBytes } from 'node:crypto';
import type { ChatResponse, ChatStreamChunk, EngineTimings, TokenUsage } from 'autobyteus';

/** llama.cpp's own `timings` field names, so tools that read llama-server read us too. */
function timingsWire(t: EngineTimings | undefined) {
  if (!t) return undefined;
  return {
    prompt_n: t.promptTokens,
    prompt_ms: t.promptMs,
    prompt_per_second: t.promptPerSecond,
    predicted_n: t.predictedTokens,
    predicted_ms: t.predictedMs,
    predicted_per_second: t.predictedPerSecond,
    cache_n: t.cachedTokens,
  };
}

function usageWire(usage: TokenUsage | undefined) {
  return usage
    ? { prompt_tokens: usage.promptTokens, completion_tokens: usage.completionTokens, total_tokens: usage.totalTokens }
    : undefined;
}

export function completionId(): string {
  return `chatcmpl-${randomBytes(12).toString('base64url')}`;
}

/**
 * Turns the library's normalised chunks back into OpenAI `chat.completion.chunk` events, so any
 * OpenAI client reads every engine the same way (reasoning as `reasoning_content`, tool calls as
 * indexed deltas, usage in a final `choices: []` chunk when the client asked for it).
 */
export class OpenAIChunkEncoder {
  private readonly id = completionId();
  private readonly created = Math.floor(Date.now() / 1000);
  private sentRole = false;

  constructor(
    private readonly model: string,
    private readonly includeUsage: boolean,
  ) {}

  /** SSE text for one chunk (possibly empty). */
  encode(chunk: ChatStreamChunk): string {
    if (chunk.isComplete) {
      let out = this.event([{ index: 0, delta: this.roleOnce(), finish_reason: chunk.finishReason ?? 'stop' }], chunk);
      if (this.includeUsage)
        out += this.event(
          [],
          chunk,
          usageWire(chunk.usage) ?? { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
        );
      return `${out}data: [DONE]\n\n`;
    }
    const delta: Record<string, unknown> = this.roleOnce();
    if (chunk.content) delta.content = chunk.content;
    if (chunk.reasoning) delta.reasoning_content = chunk.reasoning;
    if (chunk.toolCalls) {
      delta.tool_calls = chunk.toolCalls.map((call) => ({
        index: call.index,
        ...(call.id ? { id: call.id, type: 'function' } : {}),
        function: { ...(call.name ? { name: call.name } : {}), arguments: call.argumentsDelta },
      }));
    }
    return this.event([{ index: 0, delta, finish_reason: null }], chunk);
  }

  private roleOnce(): Record<string, unknown> {
    if (this.sentRole) return {};
    this.sentRole = true;
    return { role: 'assistant' };
  }

  /** The constant head of every event, serialised once: per-token work stays small. */
  private head?: string;

  private event(choices: unknown[], chunk: ChatStreamChunk, usage?: unknown): string {
    this.head ??= `data: {"id":${JSON.stringify(this.id)},"object":"chat.completion.chunk","created":${this.created},"model":${JSON.stringify(this.model)}`;
    let tail = `,"choices":${JSON.stringify(choices)}`;
    if (usage) tail += `,"usage":${JSON.stringify(usage)}`;
    if (chunk.isComplete && chunk.timings && !usage) tail += `,"timings":${JSON.stringify(timingsWire(chunk.timings))}`;
    return `${this.head}${tail}}\n\n`;
  }
}

/** A whole OpenAI `chat.completion` for a non-streamed answer. */
export function encodeCompletion(model: string, answer: ChatResponse): Record<string, unknown> {
  const message: Record<string, unknown> = { role: 'assistant', content: answer.content };
  if (answer.reasoning) message.reasoning_content = answer.reasoning;
  if (answer.toolCalls.length) {
    message.tool_calls = answer.toolCalls.map((call) => ({
      id: call.id,
      type: 'function',
      function: { name: call.name, arguments: call.arguments },
    }));
  }
  return {
    id: completionId(),
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [{ index: 0, message, finish_reason: answer.finishReason ?? 'stop' }],
    ...(answer.usage ? { usage: usageWire(answer.usage) } : {}),
    ...(answer.timings ? { timings: timingsWire(answer.timings) } : {}),
  };
}
