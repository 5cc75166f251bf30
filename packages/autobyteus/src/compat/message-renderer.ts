import type { LLMModel as CoreLLMModel } from '../llm/llm-model.js';
import type { ChatMessage, ContentPart } from '../transport/chat-types.js';
import { UnsupportedMediaError } from './compat-errors.js';
import { imageUrlFor } from './media-source.js';
import { MessageRole } from './messages.js';

/**
 * What a message must look like: ours, autobyteus-ts's own `Message` (its role enum has the same
 * values) or a plain object; tool payloads are read by shape, not by class.
 */
export interface MessageLike {
  role: `${MessageRole}`;
  content: string | null;
  image_urls?: string[];
  audio_urls?: string[];
  video_urls?: string[];
  tool_payload?: unknown;
}

interface ToolCallsShape {
  toolCalls: Array<{ id: string; name: string; arguments: unknown }>;
}
interface ToolResultShape {
  toolCallId: string;
  toolResult: unknown;
  toolError?: string | null;
}

const hasToolCalls = (payload: unknown): payload is ToolCallsShape =>
  typeof payload === 'object' && payload !== null && Array.isArray((payload as ToolCallsShape).toolCalls);
const isToolResult = (payload: unknown): payload is ToolResultShape =>
  typeof payload === 'object' && payload !== null && typeof (payload as ToolResultShape).toolCallId === 'string';

/** The model takes images only when its engine says so (llama.cpp `/props` `modalities.vision`). */
export function acceptsImages(model: CoreLLMModel): boolean {
  return model.metadata.modalities?.vision === true;
}

function toolResultText(result: ToolResultShape): string {
  if (result.toolError) return `Error: ${result.toolError}`;
  if (result.toolResult === null || result.toolResult === undefined) return '';
  return typeof result.toolResult === 'object' ? JSON.stringify(result.toolResult) : String(result.toolResult);
}

function refuseMedia(message: MessageLike, model: CoreLLMModel): void {
  if (message.audio_urls?.length) {
    throw new UnsupportedMediaError(model, 'audio', `${model.name} cannot take audio input`, 'send the text only');
  }
  if (message.video_urls?.length) {
    throw new UnsupportedMediaError(model, 'video', `${model.name} cannot take video input`, 'send the text only');
  }
  if (!message.image_urls?.length) return;
  if (message.role !== MessageRole.USER) {
    throw new UnsupportedMediaError(
      model,
      'image',
      `images can only be sent in user messages, not ${message.role}`,
      '',
    );
  }
  if (!acceptsImages(model)) {
    throw new UnsupportedMediaError(
      model,
      'image',
      `${model.name} does not accept images: its engine reports no vision modality`,
      'use a vision model; llama-server needs its multimodal projector (--mmproj)',
    );
  }
}

/**
 * Renders a conversation for our transport: tool calls and tool results from the messages' tool
 * payloads, images as content parts. Media the model cannot take is refused here, before any request.
 */
export async function renderMessages(messages: readonly MessageLike[], model: CoreLLMModel): Promise<ChatMessage[]> {
  for (const message of messages) refuseMedia(message, model);
  const rendered: ChatMessage[] = [];
  for (const message of messages) {
    const payload = message.tool_payload;
    if (hasToolCalls(payload)) {
      rendered.push({
        role: 'assistant',
        content: message.content ?? null,
        toolCalls: payload.toolCalls.map((call) => ({
          id: call.id,
          name: call.name,
          arguments: typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments ?? {}),
        })),
      });
    } else if (isToolResult(payload)) {
      rendered.push({ role: 'tool', content: toolResultText(payload), toolCallId: payload.toolCallId });
    } else if (message.role === MessageRole.USER) {
      rendered.push({ role: 'user', content: await userContent(message, model) });
    } else if (message.role === MessageRole.SYSTEM || message.role === MessageRole.ASSISTANT) {
      rendered.push({
        role: message.role === MessageRole.SYSTEM ? 'system' : 'assistant',
        content: message.content ?? '',
      });
    } else {
      throw new Error(`a ${message.role} message needs a tool result payload (ToolResultPayload)`);
    }
  }
  return rendered;
}

async function userContent(message: MessageLike, model: CoreLLMModel): Promise<string | ContentPart[]> {
  if (!message.image_urls?.length) return message.content ?? '';
  const parts: ContentPart[] = message.content ? [{ type: 'text', text: message.content }] : [];
  for (const source of message.image_urls) {
    parts.push({ type: 'image_url', image_url: { url: await imageUrlFor(source, model) } });
  }
  return parts;
}
