import type { LLMConfig } from '../llm/llm-config.js';
import type { ChatMessage, ChatRequestOptions } from './chat-types.js';

/** The JSON body of `POST /v1/chat/completions`. */
export type ChatRequestBody = Record<string, unknown> & { model: string; messages: unknown[]; stream: boolean };

function toWireMessage(message: ChatMessage): Record<string, unknown> {
  switch (message.role) {
    case 'assistant': {
      const wire: Record<string, unknown> = { role: 'assistant', content: message.content ?? null };
      if (message.toolCalls?.length) {
        wire.tool_calls = message.toolCalls.map((call) => ({
          id: call.id,
          type: 'function',
          function: { name: call.name, arguments: call.arguments },
        }));
      }
      return wire;
    }
    case 'tool':
      return { role: 'tool', content: message.content, tool_call_id: message.toolCallId };
    default:
      return { role: message.role, content: message.content };
  }
}

/**
 * Builds the request body: every generation field of the config, tools, and for streams
 * `stream_options.include_usage` so engines that support it send a usage chunk.
 */
export function buildChatRequestBody(
  model: string,
  messages: ChatMessage[],
  config: LLMConfig,
  options: ChatRequestOptions,
  stream: boolean,
): ChatRequestBody {
  const body: ChatRequestBody = { model, messages: messages.map(toWireMessage), stream };
  const put = (key: string, value: unknown) => {
    if (value !== undefined) body[key] = value;
  };
  put('temperature', config.temperature);
  put('top_p', config.topP);
  put('max_tokens', config.maxTokens);
  put('stop', config.stop?.length ? config.stop : undefined);
  put('frequency_penalty', config.frequencyPenalty);
  put('presence_penalty', config.presencePenalty);
  put('seed', config.seed);
  put('response_format', config.responseFormat);
  if (options.tools?.length) {
    body.tools = options.tools;
    put('tool_choice', options.toolChoice);
  }
  if (stream) body.stream_options = { include_usage: true };
  // Extra params last: the caller's explicit wishes win over our mapping.
  for (const [key, value] of Object.entries(config.extraParams ?? {})) body[key] = value;
  return body;
}
