import { basename } from 'node:path';
import { parseDuration, ValueRejected } from 'autobyteus';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { ModelSettings } from '../config/model-settings.js';
import type { ServerConfig } from '../config/server-config.js';
import type { EngineName } from '../engines/specs/engine-name.js';
import { ModelServingError } from '../serving/model-errors.js';
import type { ModelServer } from '../serving/model-server.js';
import { findModelOnDisk, ModelLoadedError, removeLocalModel } from '../serving/remove-model.js';
import type { ServableModel } from '../serving/servable-models.js';
import type { ModelState } from '../serving/served-model-view.js';
import { servingErrorBody } from './chat-target.js';
import { openAIError, withoutLocalDetails } from './openai-error.js';
import { printable } from './untrusted-text.js';

/** A local model as `GET /api/models` lists it under `local`: no path, only the GGUF's file name. */
export interface LocalModelView {
  id: string;
  engine: EngineName;
  /** The GGUF file name (llama.cpp models). */
  file?: string;
  sizeBytes: number;
  names: string[];
  state: ModelState;
  /** Why it failed (paths and addresses replaced). */
  reason?: string;
  settings: ModelSettings;
}

/** The `local` entry of one `ModelServer.list()` item. */
export function localModelView(entry: { model: ServableModel; state: ModelState; reason?: string }): LocalModelView {
  const { model, state, reason } = entry;
  return {
    id: model.id,
    engine: model.engine,
    ...(model.engine === 'llama-cpp' ? { file: basename(model.path) } : {}),
    sizeBytes: model.sizeBytes,
    names: model.names,
    state,
    ...(reason ? { reason: withoutLocalDetails(reason) } : {}),
    settings: model.settings,
  };
}

const loadBody = z.object({ keep_alive: z.union([z.string().max(40), z.number()]).optional() }).nullish();
const deleteQuery = z.object({ force: z.enum(['true', 'false', '1', '0']).optional() });
type NameParams = { name: string };

interface LocalModelDeps {
  config: ServerConfig;
  models?: ModelServer;
}

function notFound(reply: FastifyReply, name: string) {
  return reply
    .code(404)
    .send(
      openAIError(
        `"${printable(name)}" is not a local model. GET /api/models lists them under "local".`,
        'invalid_request_error',
        'model_not_found',
        'name',
      ),
    );
}

function invalid(reply: FastifyReply, message: string, param: string) {
  return reply
    .code(400)
    .send(openAIError(`invalid request: ${message}`, 'invalid_request_error', 'invalid_request', param));
}

/**
 * `GET /api/ps`, `POST /api/models/:name/load|unload`, `DELETE /api/models/:name`: the server's local
 * models. The name from the URL is untrusted: it is only ever matched against the listing
 * (`ModelServer.find`, or the same match over the files on disk when no engine is managed), never used
 * as a path, and echoed only through `printable`.
 */
export function registerLocalModelRoutes(app: FastifyInstance, deps: LocalModelDeps): void {
  const find = (name: string) => (deps.models ? deps.models.find(name) : findModelOnDisk(deps.config, name));
  /** Runs `handle`, answering a serving failure (ambiguous name, load failed, model loaded…) as OpenAI errors. */
  const serving = async (reply: FastifyReply, handle: () => Promise<unknown>) => {
    try {
      return await handle();
    } catch (error) {
      if (error instanceof ModelServingError) return reply.code(error.status).send(servingErrorBody(error));
      throw error;
    }
  };

  app.get('/api/ps', async () => ({ models: deps.models?.ps() ?? [] }));

  app.post<{ Params: NameParams }>('/api/models/:name/load', async (request, reply) => {
    const body = loadBody.safeParse(request.body);
    if (!body.success) return invalid(reply, z.prettifyError(body.error), 'keep_alive');
    let keepAliveMs: number | undefined;
    try {
      const raw = body.data?.keep_alive;
      keepAliveMs = raw === undefined ? undefined : parseDuration(String(raw));
    } catch (error) {
      if (!(error instanceof ValueRejected)) throw error;
      return invalid(reply, `keep_alive: ${error.message}`, 'keep_alive');
    }
    return serving(reply, async () => {
      const model = await find(request.params.name);
      if (!model) return notFound(reply, request.params.name);
      if (!deps.models) {
        return reply
          .code(503)
          .send(
            openAIError(
              'this server manages no engine, so it loads no local model: set LLAMACPP_MANAGED=true or MLX_MANAGED=true',
              'engine_unavailable',
              'engine_unavailable',
              'name',
            ),
          );
      }
      const loaded = await deps.models.load(model, keepAliveMs !== undefined ? { keepAliveMs } : {});
      return { model: loaded };
    });
  });

  app.post<{ Params: NameParams }>('/api/models/:name/unload', async (request, reply) =>
    serving(reply, async () => {
      const model = await find(request.params.name);
      if (!model) return notFound(reply, request.params.name);
      const unloaded = deps.models ? await deps.models.unload(model.id) : false;
      return { unloaded, id: model.id };
    }),
  );

  app.delete<{ Params: NameParams }>('/api/models/:name', async (request, reply) => {
    const query = deleteQuery.safeParse(request.query);
    if (!query.success) return invalid(reply, 'force must be true or false', 'force');
    const force = query.data.force === 'true' || query.data.force === '1';
    return serving(reply, async () => {
      const model = await find(request.params.name);
      if (!model) return notFound(reply, request.params.name);
      const loaded = deps.models?.ps().some((m) => m.id === model.id) ?? false;
      if (loaded && !force) throw new ModelLoadedError(model.id);
      const unloaded = loaded ? await (deps.models as ModelServer).unload(model.id, 'requested') : false;
      const removed = await removeLocalModel(deps.config, model);
      request.log.info({ model: model.id, kind: removed.kind, unloaded }, 'model removed');
      return { deleted: true, id: model.id, kind: removed.kind, unloaded };
    });
  });
}
