import type { LLMFactory } from 'autobyteus';
import type { ModelServer } from '../serving/model-server.js';

/** One entry of `/v1/models`: OpenAI's fields, plus the local state the way llama-server's router reports it. */
export interface GatewayModelEntry {
  id: string;
  object: 'model';
  created: number;
  owned_by: string;
  /** Local models only: `loaded`, `loading`, `available` or `failed` (+ why). */
  status?: { value: string; reason?: string };
  aliases?: string[];
}

/**
 * The gateway's model list: every local model the server can run (by id, with its state and other
 * names), then every model discovered on the configured hosts (by identifier).
 */
export async function listGatewayModels(deps: {
  factory: LLMFactory;
  models?: ModelServer;
  startedAt: number;
}): Promise<GatewayModelEntry[]> {
  const created = Math.floor(deps.startedAt / 1000);
  const local = deps.models ? await deps.models.list() : [];
  return [
    ...local.map(({ model, state, reason }) => ({
      id: model.id,
      object: 'model' as const,
      created,
      owned_by: model.engine === 'mlx' ? 'mlx' : 'llama_cpp',
      status: { value: state, ...(reason ? { reason } : {}) },
      ...(model.names.length > 1 ? { aliases: model.names.slice(1) } : {}),
    })),
    ...deps.factory.listAvailableModels().map((m) => ({
      id: m.modelIdentifier,
      object: 'model' as const,
      created,
      owned_by: m.runtime,
    })),
  ];
}
