/** One piece of a multimodal user message (OpenAI content parts). */
export type ContentPart =
  | { type: 'text'; text: string }
  | { type: 'image_url'; image_url: { url: string; detail?: 'auto' | 'low' | 'high' } };

/** A complete tool call requested by the model. `arguments` is the JSON text the model produced. */
export interface ToolCall {
  id: string;
  name: string;
  arguments: string;
}

/** Part of a tool call as it streams. Engines that send whole calls (MLX) produce one delta per call. */
export interface ToolCallDelta {
  index: number;
  id?: string;
  name?: string;
  argumentsDelta: string;
}

export type ChatMessage =
  | { role: 'system'; content: string }
  | { role: 'user'; content: string | ContentPart[] }
  | { role: 'assistant'; content?: string | null; toolCalls?: ToolCall[] }
  | { role: 'tool'; content: string; toolCallId: string };

/** A function the model may call (OpenAI tool format). */
export interface ToolDefinition {
  type: 'function';
  function: { name: string; description?: string; parameters?: Record<string, unknown>; strict?: boolean };
}

export type ToolChoice = 'auto' | 'none' | 'required' | { type: 'function'; function: { name: string } };

export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
}

/** llama.cpp's per-request timings (`timings` on the last chunk / the response). */
export interface EngineTimings {
  promptTokens?: number;
  promptMs?: number;
  predictedTokens?: number;
  predictedMs?: number;
  predictedPerSecond?: number;
  promptPerSecond?: number;
  cachedTokens?: number;
}

/**
 * One normalised streaming chunk. Content, reasoning and tool-call deltas arrive with
 * `isComplete: false`; exactly one last chunk has `isComplete: true` and carries the finish reason,
 * usage (when the engine reported it), timings (llama.cpp) and the assembled tool calls.
 */
export interface ChatStreamChunk {
  isComplete: boolean;
  content?: string;
  reasoning?: string;
  toolCalls?: ToolCallDelta[];
  finishReason?: string;
  usage?: TokenUsage;
  timings?: EngineTimings;
  /** On the complete chunk: every tool call, whole. */
  completeToolCalls?: ToolCall[];
}

/** A non-streamed answer. */
export interface ChatResponse {
  content: string;
  reasoning?: string;
  toolCalls: ToolCall[];
  finishReason?: string;
  usage?: TokenUsage;
  timings?: EngineTimings;
  /** The model name the engine reported. */
  model?: string;
}

/** Per-call options. */
export interface ChatRequestOptions {
  tools?: ToolDefinition[];
  toolChoice?: ToolChoice;
  signal?: AbortSignal;
}
