import type { LLMFactory } from 'autobyteus';
import { findPool, type ModelPool } from '../routing/model-pools.js';
import type { ModelServingError } from '../serving/model-errors.js';
import type { ModelServer } from '../serving/model-server.js';
import type { ServableModel } from '../serving/servable-models.js';
import { type OpenAIErrorBody, openAIError, withoutLocalDetails } from './openai-error.js';

/** Where a request for a model name goes: a local model the server runs itself, or the pool of hosts serving it. */
export type ChatTarget = { kind: 'local'; model: ServableModel } | { kind: 'pool'; pool: ModelPool };

/**
 * The target `name` refers to: a local model (id, file stem, catalog name, alias) first, else every
 * configured host serving a model of that name (an identifier pins one host). Throws `AmbiguousModelError`.
 */
export async function findChatTarget(
  deps: { factory: LLMFactory; models?: ModelServer; aliases: Readonly<Record<string, readonly string[]>> },
  name: string,
): Promise<ChatTarget | undefined> {
  const local = deps.models ? await deps.models.find(name) : undefined;
  if (local) return { kind: 'local', model: local };
  const pool = findPool(deps.factory, name, deps.aliases);
  return pool ? { kind: 'pool', pool } : undefined;
}

/** The OpenAI error body of a serving failure (load failed, does not fit, busy, ambiguous). */
export function servingErrorBody(error: ModelServingError): OpenAIErrorBody {
  const type =
    error.status < 500 ? 'invalid_request_error' : error.status === 503 ? 'engine_unavailable' : 'server_error';
  // The engine's reason may quote local paths (the model file): those stay in the log.
  return openAIError(withoutLocalDetails(error.message), type, error.code, 'model');
}
