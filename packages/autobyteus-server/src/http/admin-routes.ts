import { type LLMFactory, type LocalRuntime, parseRuntime } from 'autobyteus';
import type { FastifyInstance } from 'fastify';
import { modelView } from '../app/model-view.js';
import type { ServerConfig } from '../config/server-config.js';
import type { ManagedEngineStates } from '../engines/engine-inventory.js';
import type { PoolDispatcher } from '../routing/pool-dispatcher.js';
import type { ModelServer } from '../serving/model-server.js';
import { localModelView, registerLocalModelRoutes } from './local-model-routes.js';
import { openAIError } from './openai-error.js';
import { printable } from './untrusted-text.js';

export interface AdminDeps {
  factory: LLMFactory;
  config: ServerConfig;
  managed: ManagedEngineStates;
  /** The server's local models, loaded on demand (absent when no engine is managed). */
  models?: ModelServer;
  startedAt: number;
  version: string;
  /** Routing state per host (circuit breakers, requests in flight). */
  dispatcher?: PoolDispatcher;
}

/** `/api/*`: health, models, reload, and the local models' ps/load/unload/delete (engines: engine-routes.ts). */
export function registerAdminRoutes(app: FastifyInstance, deps: AdminDeps): void {
  app.get('/api/health', async () => ({
    status: 'ok',
    version: deps.version,
    uptimeSeconds: Math.round((Date.now() - deps.startedAt) / 1000),
    hosts: deps.factory.getHostHealth().map((h) => {
      const key = `${h.runtime}@${h.hostUrl}`;
      if (!deps.dispatcher) return h;
      return {
        ...h,
        breaker: deps.dispatcher.breaker(h.runtime, h.hostUrl).status(),
        inFlight: deps.dispatcher.load(key),
      };
    }),
  }));

  app.get('/api/models', async () => ({
    models: deps.factory.listAvailableModels().map(modelView),
    local: deps.models ? (await deps.models.list()).map(localModelView) : [],
  }));

  app.post('/api/models/reload', async (request, reply) => {
    const query = request.query as { runtime?: string };
    let runtime: ReturnType<typeof parseRuntime>;
    if (query.runtime !== undefined) {
      runtime = parseRuntime(query.runtime);
      if (!runtime || runtime === 'api') {
        return reply
          .code(400)
          .send(
            openAIError(
              `unknown runtime "${printable(String(query.runtime))}" (use llama_cpp, mlx, lmstudio or ollama)`,
              'invalid_request_error',
              'unknown_runtime',
              'runtime',
            ),
          );
      }
    }
    const result = await deps.factory.reinitialize(runtime ? { runtime: runtime as LocalRuntime } : {});
    return { added: result.added, removed: result.removed, kept: result.kept, hosts: result.hosts };
  });

  registerLocalModelRoutes(app, deps);
}
