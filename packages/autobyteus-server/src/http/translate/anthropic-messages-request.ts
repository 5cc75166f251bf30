import { z } from 'zod';
import { type ChatTranslation, joinText, UntranslatableInput } from './translation.js';

// The Anthropic Messages API request, as far as chat completions can carry it. Unknown fields
// (metadata, thinking, cache_control, ...) are accepted and not sent on; unknown block and tool
// types fail the schema, so the client hears which one.

const textBlock = z.looseObject({ type: z.literal('text'), text: z.string() });
const imageBlock = z.looseObject({
  type: z.literal('image'),
  source: z.discriminatedUnion('type', [
    z.looseObject({
      type: z.literal('base64'),
      media_type: z.string().regex(/^image\/[a-z0-9.+-]+$/i),
      data: z.string(),
    }),
    z.looseObject({ type: z.literal('url'), url: z.string().min(1) }),
  ]),
});
const toolUseBlock = z.looseObject({
  type: z.literal('tool_use'),
  id: z.string().min(1),
  name: z.string().min(1),
  input: z.unknown(),
});
const toolResultBlock = z.looseObject({
  type: z.literal('tool_result'),
  tool_use_id: z.string().min(1),
  content: z.union([z.string(), z.array(z.discriminatedUnion('type', [textBlock, imageBlock]))]).optional(),
  is_error: z.boolean().optional(),
});
/** Earlier reasoning in the history; chat templates have no place for it, so it is left out. */
const thinkingBlock = z.looseObject({ type: z.enum(['thinking', 'redacted_thinking']) });
const contentBlock = z.discriminatedUnion('type', [
  textBlock,
  imageBlock,
  toolUseBlock,
  toolResultBlock,
  thinkingBlock,
]);

const messageParam = z.looseObject({
  role: z.enum(['user', 'assistant']),
  content: z.union([z.string(), z.array(contentBlock)]),
});

const toolParam = z.looseObject({
  type: z.literal('custom').optional(),
  name: z.string().min(1).max(200),
  description: z.string().optional(),
  input_schema: z.record(z.string(), z.unknown()),
});

const toolChoice = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('auto'), disable_parallel_tool_use: z.boolean().optional() }),
  z.looseObject({ type: z.literal('any'), disable_parallel_tool_use: z.boolean().optional() }),
  z.looseObject({ type: z.literal('none') }),
  z.looseObject({
    type: z.literal('tool'),
    name: z.string().min(1),
    disable_parallel_tool_use: z.boolean().optional(),
  }),
]);

/** The body of `POST /v1/messages` for an engine that lacks the endpoint. */
export const anthropicMessagesSchema = z.looseObject({
  model: z.string().min(1),
  max_tokens: z.number().int().min(1),
  messages: z.array(messageParam).min(1),
  system: z.union([z.string(), z.array(textBlock)]).optional(),
  stop_sequences: z.array(z.string().max(1000)).max(64).optional(),
  stream: z.boolean().optional(),
  temperature: z.number().min(0).max(2).optional(),
  top_p: z.number().min(0).max(1).optional(),
  top_k: z.number().int().min(0).optional(),
  tools: z.array(toolParam).optional(),
  tool_choice: toolChoice.optional(),
});

export type AnthropicMessagesBody = z.infer<typeof anthropicMessagesSchema>;
type ContentBlock = z.infer<typeof contentBlock>;
type ImageBlock = z.infer<typeof imageBlock>;

function imagePart(block: ImageBlock) {
  const url =
    block.source.type === 'base64' ? `data:${block.source.media_type};base64,${block.source.data}` : block.source.url;
  return { type: 'image_url', image_url: { url } };
}

function toolResultText(block: z.infer<typeof toolResultBlock>): { text: string; images: unknown[] } {
  const content = block.content ?? '';
  const text =
    typeof content === 'string'
      ? content
      : joinText(content.flatMap((part) => (part.type === 'text' ? [part.text] : [])));
  const images = typeof content === 'string' ? [] : content.flatMap((p) => (p.type === 'image' ? [imagePart(p)] : []));
  return { text: block.is_error ? `Error: ${text}` : text, images };
}

/** A user turn: its tool results first (chat templates want them right after the calls), then the rest. */
function userMessages(blocks: ContentBlock[], at: number): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const parts: Array<{ type: 'text'; text: string } | ReturnType<typeof imagePart>> = [];
  blocks.forEach((block, i) => {
    if (block.type === 'tool_result') {
      const { text, images } = toolResultText(block);
      out.push({ role: 'tool', tool_call_id: block.tool_use_id, content: text });
      parts.push(...(images as ReturnType<typeof imagePart>[]));
    } else if (block.type === 'text') parts.push({ type: 'text', text: block.text });
    else if (block.type === 'image') parts.push(imagePart(block));
    else if (block.type === 'tool_use')
      throw new UntranslatableInput(`messages.${at}.content.${i}`, 'tool_use blocks belong in assistant messages');
  });
  if (parts.length) {
    const textOnly = parts.every((part) => part.type === 'text');
    out.push({
      role: 'user',
      content: textOnly ? joinText(parts.map((part) => (part as { text: string }).text)) : parts,
    });
  }
  return out;
}

function assistantMessage(blocks: ContentBlock[], at: number): Record<string, unknown> {
  const text: string[] = [];
  const calls: unknown[] = [];
  blocks.forEach((block, i) => {
    if (block.type === 'text') text.push(block.text);
    else if (block.type === 'tool_use')
      calls.push({
        id: block.id,
        type: 'function',
        function: { name: block.name, arguments: JSON.stringify(block.input ?? {}) },
      });
    else if (block.type === 'image' || block.type === 'tool_result')
      throw new UntranslatableInput(`messages.${at}.content.${i}`, `${block.type} blocks belong in user messages`);
  });
  return {
    role: 'assistant',
    content: text.length ? joinText(text) : calls.length ? null : '',
    ...(calls.length ? { tool_calls: calls } : {}),
  };
}

function toolChoiceWire(choice: NonNullable<AnthropicMessagesBody['tool_choice']>) {
  if (choice.type === 'auto') return 'auto';
  if (choice.type === 'any') return 'required';
  if (choice.type === 'none') return 'none';
  return { type: 'function', function: { name: choice.name } };
}

/** The chat-completions request for an Anthropic Messages request. */
export function anthropicToChat(body: AnthropicMessagesBody): ChatTranslation {
  const messages: Record<string, unknown>[] = [];
  if (body.system !== undefined) {
    const system = typeof body.system === 'string' ? body.system : joinText(body.system.map((block) => block.text));
    if (system) messages.push({ role: 'system', content: system });
  }
  body.messages.forEach((message, at) => {
    if (typeof message.content === 'string') messages.push({ role: message.role, content: message.content });
    else if (message.role === 'user') messages.push(...userMessages(message.content, at));
    else messages.push(assistantMessage(message.content, at));
  });
  const chat: Record<string, unknown> = { messages, max_tokens: body.max_tokens };
  if (body.temperature !== undefined) chat.temperature = body.temperature;
  if (body.top_p !== undefined) chat.top_p = body.top_p;
  if (body.top_k !== undefined) chat.top_k = body.top_k;
  if (body.tools?.length) {
    chat.tools = body.tools.map((tool) => ({
      type: 'function',
      function: {
        name: tool.name,
        ...(tool.description !== undefined ? { description: tool.description } : {}),
        parameters: tool.input_schema,
      },
    }));
  }
  if (body.tool_choice) {
    chat.tool_choice = toolChoiceWire(body.tool_choice);
    if ('disable_parallel_tool_use' in body.tool_choice && body.tool_choice.disable_parallel_tool_use)
      chat.parallel_tool_calls = false;
  }
  return { chat, stopSequences: body.stop_sequences ?? [] };
}
