import { z } from 'zod';
import { samplingParamsShape } from '../sampling-params.js';
import { type ChatTranslation, joinText, UntranslatableInput } from './translation.js';

// The OpenAI Responses API request, as far as chat completions can carry it. The gateway keeps no
// responses, so anything that refers to a stored one is refused by name; built-in tools (web
// search, file search, ...) fail the schema, since no engine here runs them.

const inputText = z.looseObject({ type: z.literal('input_text'), text: z.string() });
const outputText = z.looseObject({ type: z.literal('output_text'), text: z.string() });
const refusal = z.looseObject({ type: z.literal('refusal'), refusal: z.string() });
const inputImage = z.looseObject({
  type: z.literal('input_image'),
  image_url: z.string().min(1).nullish(),
  file_id: z.string().nullish(),
  detail: z.enum(['low', 'high', 'auto', 'original']).optional(),
});
const contentPart = z.discriminatedUnion('type', [inputText, outputText, refusal, inputImage]);

const messageItem = z.looseObject({
  type: z.literal('message'),
  role: z.enum(['user', 'assistant', 'system', 'developer']),
  content: z.union([z.string(), z.array(contentPart)]),
});
const functionCallItem = z.looseObject({
  type: z.literal('function_call'),
  call_id: z.string().min(1),
  name: z.string().min(1),
  arguments: z.string(),
});
const functionOutputItem = z.looseObject({
  type: z.literal('function_call_output'),
  call_id: z.string().min(1),
  output: z.union([z.string(), z.array(contentPart)]),
});
/** Earlier reasoning: chat templates have no place for it, so it is left out. */
const reasoningItem = z.looseObject({ type: z.literal('reasoning') });

/** An input item; an easy message (`{role, content}`) has no `type` and is a message. */
const inputItem = z.preprocess(
  (item) =>
    item !== null && typeof item === 'object' && !('type' in item) && 'role' in item
      ? { ...item, type: 'message' }
      : item,
  z.discriminatedUnion('type', [messageItem, functionCallItem, functionOutputItem, reasoningItem]),
);

const functionTool = z.looseObject({
  type: z.literal('function'),
  name: z.string().min(1).max(200),
  description: z.string().nullish(),
  parameters: z.record(z.string(), z.unknown()).nullish(),
  strict: z.boolean().nullish(),
});

const textFormat = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('text') }),
  z.looseObject({ type: z.literal('json_object') }),
  z.looseObject({
    type: z.literal('json_schema'),
    name: z.string().min(1),
    schema: z.record(z.string(), z.unknown()),
    strict: z.boolean().nullish(),
  }),
]);

/** The body of `POST /v1/responses` for an engine that lacks the endpoint. */
export const responsesSchema = z.looseObject({
  model: z.string().min(1),
  input: z.union([z.string(), z.array(inputItem)]),
  instructions: z.string().nullish(),
  stream: z.boolean().nullish(),
  max_output_tokens: z.number().int().min(1).nullish(),
  temperature: samplingParamsShape.temperature,
  top_p: samplingParamsShape.top_p,
  tools: z.array(functionTool).optional(),
  tool_choice: z
    .union([z.enum(['auto', 'none', 'required']), z.looseObject({ type: z.literal('function'), name: z.string() })])
    .optional(),
  parallel_tool_calls: z.boolean().nullish(),
  previous_response_id: z.string().nullish(),
  conversation: z.unknown().optional(),
  background: z.boolean().nullish(),
  metadata: z.record(z.string(), z.string()).nullish(),
  text: z.looseObject({ format: textFormat.optional() }).optional(),
});

export type ResponsesBody = z.infer<typeof responsesSchema>;
type ContentPart = z.infer<typeof contentPart>;

function partText(part: ContentPart): string | undefined {
  if (part.type === 'input_text' || part.type === 'output_text') return part.text;
  if (part.type === 'refusal') return part.refusal;
  return undefined;
}

/** A message's content for chat: a string when it is all text, else OpenAI content parts. */
function chatContent(content: string | ContentPart[], param: string): unknown {
  if (typeof content === 'string') return content;
  if (content.every((part) => part.type !== 'input_image')) return joinText(content.map((p) => partText(p) ?? ''));
  return content.map((part, i) => {
    if (part.type !== 'input_image') return { type: 'text', text: partText(part) ?? '' };
    if (!part.image_url)
      throw new UntranslatableInput(`${param}.${i}`, 'only image_url images can be sent to this engine (no file_id)');
    const detail = part.detail === 'low' || part.detail === 'high' ? { detail: part.detail } : {};
    return { type: 'image_url', image_url: { url: part.image_url, ...detail } };
  });
}

function refuseStoredState(body: ResponsesBody): void {
  const stored = (['previous_response_id', 'conversation'] as const).find((key) => body[key] != null);
  if (stored)
    throw new UntranslatableInput(
      stored,
      'the gateway keeps no responses for this engine; send the whole conversation in input',
    );
  if (body.background)
    throw new UntranslatableInput('background', 'background responses are not available for this engine');
}

/** The chat-completions request for a Responses API request. */
export function responsesToChat(body: ResponsesBody): ChatTranslation {
  refuseStoredState(body);
  const messages: Record<string, unknown>[] = [];
  if (body.instructions) messages.push({ role: 'system', content: body.instructions });
  if (typeof body.input === 'string') messages.push({ role: 'user', content: body.input });
  else {
    body.input.forEach((item, i) => {
      if (item.type === 'message') {
        // Chat templates know `system`; `developer` is OpenAI's newer name for it.
        const role = item.role === 'developer' ? 'system' : item.role;
        messages.push({ role, content: chatContent(item.content, `input.${i}.content`) });
      } else if (item.type === 'function_call') {
        const call = { id: item.call_id, type: 'function', function: { name: item.name, arguments: item.arguments } };
        const last = messages.at(-1);
        // Calls that follow an assistant message (or each other) belong to that one assistant turn.
        if (last?.role === 'assistant') last.tool_calls = [...((last.tool_calls as unknown[]) ?? []), call];
        else messages.push({ role: 'assistant', content: null, tool_calls: [call] });
      } else if (item.type === 'function_call_output') {
        const output = chatContent(item.output, `input.${i}.output`);
        messages.push({ role: 'tool', tool_call_id: item.call_id, content: typeof output === 'string' ? output : '' });
      }
    });
  }
  const chat: Record<string, unknown> = { messages };
  if (body.max_output_tokens != null) chat.max_tokens = body.max_output_tokens;
  if (body.temperature != null) chat.temperature = body.temperature;
  if (body.top_p != null) chat.top_p = body.top_p;
  if (body.parallel_tool_calls != null) chat.parallel_tool_calls = body.parallel_tool_calls;
  if (body.tools?.length) {
    chat.tools = body.tools.map((tool) => ({
      type: 'function',
      function: {
        name: tool.name,
        ...(tool.description ? { description: tool.description } : {}),
        parameters: tool.parameters ?? { type: 'object', properties: {} },
        ...(tool.strict != null ? { strict: tool.strict } : {}),
      },
    }));
  }
  if (body.tool_choice !== undefined) {
    chat.tool_choice =
      typeof body.tool_choice === 'string'
        ? body.tool_choice
        : { type: 'function', function: { name: body.tool_choice.name } };
  }
  const format = body.text?.format;
  if (format?.type === 'json_object') chat.response_format = { type: 'json_object' };
  if (format?.type === 'json_schema') {
    chat.response_format = {
      type: 'json_schema',
      json_schema: {
        name: format.name,
        schema: format.schema,
        ...(format.strict != null ? { strict: format.strict } : {}),
      },
    };
  }
  return { chat, stopSequences: [] };
}
