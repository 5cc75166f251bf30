import type { ChatStreamChunk, EngineTimings, TokenUsage, ToolCall, ToolCallDelta } from './chat-types.js';
import type { ChatChunkWire, TimingsWire, ToolCallWire, UsageWire } from './wire-schemas.js';

export function toUsage(wire: UsageWire | null | undefined): TokenUsage | undefined {
  if (!wire) return undefined;
  const promptTokens = wire.prompt_tokens ?? 0;
  const completionTokens = wire.completion_tokens ?? 0;
  return { promptTokens, completionTokens, totalTokens: wire.total_tokens ?? promptTokens + completionTokens };
}

export function toTimings(wire: TimingsWire | null | undefined): EngineTimings | undefined {
  if (!wire) return undefined;
  return {
    promptTokens: wire.prompt_n,
    promptMs: wire.prompt_ms,
    promptPerSecond: wire.prompt_per_second,
    predictedTokens: wire.predicted_n,
    predictedMs: wire.predicted_ms,
    predictedPerSecond: wire.predicted_per_second,
    cachedTokens: wire.cache_n,
  };
}

function argumentsText(args: string | Record<string, unknown> | null | undefined): string {
  if (args == null) return '';
  return typeof args === 'string' ? args : JSON.stringify(args);
}

/** Tool calls from a complete (non-streamed) message. */
export function toToolCalls(wire: ToolCallWire[] | null | undefined): ToolCall[] {
  return (wire ?? []).map((call, position) => ({
    id: call.id ?? `call_${position}`,
    name: call.function?.name ?? '',
    arguments: argumentsText(call.function?.arguments),
  }));
}

/**
 * Turns engine chunks into `ChatStreamChunk`s and remembers what the final chunk needs: finish
 * reason, usage, timings and tool calls assembled from fragments (llama.cpp) or whole (MLX).
 */
export class ChunkNormalizer {
  private finishReason?: string;
  private usage?: TokenUsage;
  private timings?: EngineTimings;
  private readonly calls = new Map<number, ToolCall>();

  /** The delta chunk for one engine chunk, or undefined when it carries no delta (usage-only, role-only). */
  accept(wire: ChatChunkWire): ChatStreamChunk | undefined {
    if (wire.usage) this.usage = toUsage(wire.usage);
    if (wire.timings) this.timings = toTimings(wire.timings);
    let out: ChatStreamChunk | undefined;
    for (const choice of wire.choices) {
      if (choice.finish_reason) this.finishReason = choice.finish_reason;
      const delta = choice.delta;
      if (!delta) continue;
      const reasoning = delta.reasoning_content ?? delta.reasoning ?? undefined;
      const toolCalls = delta.tool_calls?.length ? this.acceptToolCalls(delta.tool_calls) : undefined;
      if (!delta.content && !reasoning && !toolCalls) continue;
      out ??= { isComplete: false };
      if (delta.content) out.content = (out.content ?? '') + delta.content;
      if (reasoning) out.reasoning = (out.reasoning ?? '') + reasoning;
      if (toolCalls) out.toolCalls = [...(out.toolCalls ?? []), ...toolCalls];
    }
    return out;
  }

  /** The one last chunk; emitted whether or not the engine sent usage. */
  complete(): ChatStreamChunk {
    const completeToolCalls = [...this.calls.entries()].sort(([a], [b]) => a - b).map(([, call]) => call);
    return {
      isComplete: true,
      finishReason: this.finishReason,
      usage: this.usage,
      timings: this.timings,
      completeToolCalls: completeToolCalls.length ? completeToolCalls : undefined,
    };
  }

  private acceptToolCalls(wire: ToolCallWire[]): ToolCallDelta[] {
    // MLX sends whole calls without `index`: their position in the delta is their index,
    // offset past calls already seen.
    const base = this.calls.size;
    return wire.map((call, position) => {
      const index = call.index ?? base + position;
      const argumentsDelta = argumentsText(call.function?.arguments);
      const known = this.calls.get(index);
      if (known) {
        known.arguments += argumentsDelta;
        if (call.function?.name && !known.name) known.name = call.function.name;
      } else {
        this.calls.set(index, {
          id: call.id ?? `call_${index}`,
          name: call.function?.name ?? '',
          arguments: argumentsDelta,
        });
      }
      const delta: ToolCallDelta = { index, argumentsDelta };
      if (call.id) delta.id = call.id;
      if (call.function?.name) delta.name = call.function.name;
      return delta;
    });
  }
}
