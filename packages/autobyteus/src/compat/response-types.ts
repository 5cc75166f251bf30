import type { TokenUsage } from './token-usage.js';
import type { ToolCallDelta } from './tool-call-delta.js';

interface MediaOutput {
  image_urls?: string[];
  audio_urls?: string[];
  video_urls?: string[];
}

/** A whole answer: what `sendUserMessage` / `sendMessages` resolve to. */
export class CompleteResponse {
  content: string;
  reasoning: string | null;
  usage: TokenUsage | null;
  /** Media the model produced; local chat engines produce none, so these stay empty. */
  image_urls: string[];
  audio_urls: string[];
  video_urls: string[];

  constructor(data: { content: string; reasoning?: string | null; usage?: TokenUsage | null } & MediaOutput) {
    this.content = data.content;
    this.reasoning = data.reasoning ?? null;
    this.usage = data.usage ?? null;
    this.image_urls = data.image_urls ?? [];
    this.audio_urls = data.audio_urls ?? [];
    this.video_urls = data.video_urls ?? [];
  }

  static fromContent(content: string): CompleteResponse {
    return new CompleteResponse({ content });
  }
}

/**
 * One streamed piece. Content, reasoning and tool-call fragments come with `is_complete: false`;
 * the stream ends with exactly one `is_complete: true` chunk that carries the usage (when the engine
 * reported it).
 */
export class ChunkResponse {
  content: string;
  reasoning: string | null;
  is_complete: boolean;
  usage: TokenUsage | null;
  image_urls: string[];
  audio_urls: string[];
  video_urls: string[];
  tool_calls: ToolCallDelta[] | null;

  constructor(
    data: {
      content: string;
      reasoning?: string | null;
      is_complete?: boolean;
      usage?: TokenUsage | null;
      tool_calls?: ToolCallDelta[] | null;
    } & MediaOutput,
  ) {
    this.content = data.content;
    this.reasoning = data.reasoning ?? null;
    this.is_complete = data.is_complete ?? false;
    this.usage = data.usage ?? null;
    this.image_urls = data.image_urls ?? [];
    this.audio_urls = data.audio_urls ?? [];
    this.video_urls = data.video_urls ?? [];
    this.tool_calls = data.tool_calls ?? null;
  }
}
