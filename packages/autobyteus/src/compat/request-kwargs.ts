import { z } from 'zod';
import type { LLMModel as CoreLLMModel } from '../llm/llm-model.js';
import type { ToolChoice, ToolDefinition } from '../transport/chat-types.js';
import { InvalidToolsError } from './compat-errors.js';

const toolSchema = z.looseObject({
  type: z.literal('function'),
  function: z.looseObject({
    name: z.string().min(1),
    description: z.string().optional(),
    parameters: z.record(z.string(), z.unknown()).optional(),
    strict: z.boolean().optional(),
  }),
});

const toolChoiceSchema = z.union([
  z.enum(['auto', 'none', 'required']),
  z.object({ type: z.literal('function'), function: z.object({ name: z.string().min(1) }) }),
]);

/** Keys autobyteus-ts puts in kwargs for its own bookkeeping: never sent to the engine. */
const INTERNAL_KEYS = new Set([
  'logicalConversationId',
  'logical_conversation_id',
  'conversationId',
  'agentId',
  'turnId',
  'requestId',
  'renderedPayload',
]);
/** Keys the request builder owns; a kwarg cannot replace them. */
const OWNED_KEYS = new Set(['tools', 'tool_choice', 'model', 'messages', 'stream', 'stream_options']);

/** What one call's kwargs add to the request. */
export interface RequestKwargs {
  tools?: ToolDefinition[];
  toolChoice?: ToolChoice;
  /** Other request fields (e.g. `top_k`), sent as given. */
  extraFields: Record<string, unknown>;
}

/**
 * Reads a call's kwargs the way autobyteus-ts's OpenAI-compatible clients do: `tools` (OpenAI
 * function tools, as its tool schema provider builds them) and `tool_choice` (only with tools), any
 * other non-null field onto the request, its own bookkeeping keys dropped.
 */
export function parseRequestKwargs(kwargs: Record<string, unknown>, model: CoreLLMModel): RequestKwargs {
  const result: RequestKwargs = { extraFields: {} };
  const { tools, tool_choice: toolChoice } = kwargs;
  if (Array.isArray(tools) && tools.length > 0) {
    const parsed = z.array(toolSchema).safeParse(tools);
    if (!parsed.success) throw new InvalidToolsError(model, `kwargs.tools: ${z.prettifyError(parsed.error)}`);
    result.tools = parsed.data as ToolDefinition[];
    if (toolChoice !== null && toolChoice !== undefined) {
      const choice = toolChoiceSchema.safeParse(toolChoice);
      if (!choice.success) throw new InvalidToolsError(model, `kwargs.tool_choice: ${z.prettifyError(choice.error)}`);
      result.toolChoice = choice.data;
    }
  } else if (tools !== undefined && tools !== null && !Array.isArray(tools)) {
    throw new InvalidToolsError(model, 'kwargs.tools must be an array');
  }
  for (const [key, value] of Object.entries(kwargs)) {
    if (value === null || value === undefined || INTERNAL_KEYS.has(key) || OWNED_KEYS.has(key)) continue;
    result.extraFields[key] = value;
  }
  return result;
}
