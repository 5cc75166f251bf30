import { z } from 'zod';
import {
  ContextOverflowError,
  EngineHttpError,
  EngineLoadingError,
  EngineUnauthorizedError,
  type LLMError,
  ModelNotFoundError,
  type RequestContext,
} from './llm-errors.js';

// llama.cpp / LM Studio / OpenAI: {"error":{"code","message","type",...}}; MLX: {"error":"text"};
// Ollama's native API: {"error":"text"} too.
const objectErrorSchema = z.object({
  error: z
    .object({
      message: z.string().optional(),
      type: z.string().optional(),
      code: z.union([z.number(), z.string()]).nullish(),
      n_prompt_tokens: z.number().optional(),
      n_ctx: z.number().optional(),
    })
    .passthrough(),
});
const stringErrorSchema = z.object({ error: z.string() });

export interface EngineErrorBody {
  message: string;
  type?: string;
  promptTokens?: number;
  contextWindow?: number;
}

const SNIPPET = 200;

/** Reads the engine's own message out of an error body of any known shape, or a snippet of it. */
export function parseEngineErrorBody(text: string): EngineErrorBody {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    const snippet = text.replace(/\s+/g, ' ').trim().slice(0, SNIPPET);
    return { message: snippet ? `unexpected non-JSON body: ${snippet}` : 'empty body' };
  }
  return parseEngineErrorJson(json) ?? { message: `unexpected error body: ${text.slice(0, SNIPPET)}` };
}

/** Same as `parseEngineErrorBody` for an already parsed value; undefined when it is no error shape. */
export function parseEngineErrorJson(json: unknown): EngineErrorBody | undefined {
  const asObject = objectErrorSchema.safeParse(json);
  if (asObject.success) {
    const e = asObject.data.error;
    return {
      message: e.message ?? JSON.stringify(e).slice(0, SNIPPET),
      type: e.type,
      promptTokens: e.n_prompt_tokens,
      contextWindow: e.n_ctx,
    };
  }
  const asString = stringErrorSchema.safeParse(json);
  if (asString.success) return { message: asString.data.error };
  return undefined;
}

const CONTEXT_PATTERN = /exceed[s]? (the )?context|context (size|length|window)|too long|maximum context/i;
const NOT_FOUND_PATTERN = /not found|does not exist|no such model|unknown model/i;

/** Maps an HTTP error status plus the engine's body to the matching typed error. */
export function errorFromResponse(context: RequestContext, status: number, bodyText: string): LLMError {
  const body = parseEngineErrorBody(bodyText);
  const details = { status, engineMessage: body.message, engineType: body.type };
  if (status === 401 || status === 403) {
    return new EngineUnauthorizedError(context, `unauthorized: ${body.message}`, {
      ...details,
      hint: 'set the API key for this host (e.g. LLAMACPP_API_KEY) to one the engine accepts',
    });
  }
  if (status === 503) {
    return new EngineLoadingError(context, `engine unavailable: ${body.message}`, {
      ...details,
      hint: 'the engine is still loading its model; retry in a moment',
    });
  }
  if (body.type === 'exceed_context_size_error' || (status === 400 && CONTEXT_PATTERN.test(body.message))) {
    const sizes =
      body.promptTokens !== undefined && body.contextWindow !== undefined
        ? ` (prompt ${body.promptTokens} tokens, context ${body.contextWindow})`
        : '';
    return new ContextOverflowError(
      context,
      `prompt exceeds the context window${sizes}: ${body.message}`,
      body.promptTokens,
      body.contextWindow,
      { ...details, hint: 'shorten the conversation or start the engine with a larger context (-c)' },
    );
  }
  if (status === 404 && (NOT_FOUND_PATTERN.test(body.message) || context.model)) {
    return new ModelNotFoundError(context, `model not found: ${body.message}`, {
      ...details,
      hint: "list the host's models and use one of those identifiers",
    });
  }
  return new EngineHttpError(context, body.message, details);
}
