/** Roles of a conversation message, as autobyteus-ts names them. */
export enum MessageRole {
  SYSTEM = 'system',
  USER = 'user',
  ASSISTANT = 'assistant',
  TOOL = 'tool',
}

/** A tool call the assistant made, with its arguments already parsed. */
export interface ToolCallSpec {
  id: string;
  name: string;
  arguments: Record<string, unknown>;
}

/** On an assistant message: the tool calls it made. */
export class ToolCallPayload {
  constructor(public toolCalls: ToolCallSpec[]) {}
}

/** On a tool message: the result (or error) of one tool call. */
export class ToolResultPayload {
  constructor(
    public toolCallId: string,
    public toolName: string,
    public toolResult: unknown,
    public toolError: string | null = null,
  ) {}
}

export type ToolPayload = ToolCallPayload | ToolResultPayload;

export interface MessageOptions {
  content?: string | null;
  reasoning_content?: string | null;
  image_urls?: string[];
  audio_urls?: string[];
  video_urls?: string[];
  tool_payload?: ToolPayload | null;
}

/**
 * One message of a conversation for `sendMessages` / `streamMessages`. The caller keeps the history
 * (an agent's memory does): an LLM instance holds none between calls. Messages built with
 * autobyteus-ts's own classes work too: they are read by shape, not by class.
 */
export class Message {
  role: MessageRole;
  content: string | null;
  reasoning_content: string | null;
  image_urls: string[];
  audio_urls: string[];
  video_urls: string[];
  tool_payload: ToolPayload | null;

  constructor(role: MessageRole, options: MessageOptions | string = {}) {
    const data: MessageOptions = typeof options === 'string' ? { content: options } : options;
    this.role = role;
    this.content = data.content ?? null;
    this.reasoning_content = data.reasoning_content ?? null;
    this.image_urls = data.image_urls ?? [];
    this.audio_urls = data.audio_urls ?? [];
    this.video_urls = data.video_urls ?? [];
    this.tool_payload = data.tool_payload ?? null;
  }

  toDict(): Record<string, unknown> {
    const payload = this.tool_payload;
    let toolPayload: Record<string, unknown> | null = null;
    if (payload && 'toolCalls' in payload) {
      toolPayload = {
        tool_calls: payload.toolCalls.map(({ id, name, arguments: args }) => ({ id, name, arguments: args })),
      };
    } else if (payload) {
      toolPayload = {
        tool_call_id: payload.toolCallId,
        tool_name: payload.toolName,
        tool_result: payload.toolResult,
        tool_error: payload.toolError,
      };
    }
    return {
      role: this.role,
      content: this.content,
      reasoning_content: this.reasoning_content,
      image_urls: this.image_urls,
      audio_urls: this.audio_urls,
      video_urls: this.video_urls,
      tool_payload: toolPayload,
    };
  }
}
