import { realpathSync } from 'node:fs';
import type { Logger } from 'pino';
import type { ServerConfig } from '../config/server-config.js';
import { wantsManaged } from '../engines/managed-engines.js';
import type { EngineManifestStore } from '../engines/manifest/engine-manifest-store.js';
import type { EngineSupervisor } from '../engines/process/engine-supervisor.js';
import type { EngineName } from '../engines/specs/engine-name.js';
import { engineSpecs } from '../engines/specs/engine-spec.js';
import type { ServerMetrics } from '../metrics/server-metrics.js';
import { GgufHeaderCache } from './gguf-header-cache.js';
import { ModelServer } from './model-server.js';
import { listServableModels, type ServableModel, ServableModelsCache } from './servable-models.js';

function real(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/** The servable model a default-model setting (`path`, id or any name) points at. */
function findDefault(models: ServableModel[], engine: EngineName, wanted: string): ServableModel | undefined {
  const wantedReal = real(wanted);
  return models.find(
    (m) => m.engine === engine && (m.id === wanted || m.names.includes(wanted) || real(m.path) === wantedReal),
  );
}

/**
 * The server's local models: a {@link ModelServer} over every engine the configuration manages and
 * has installed, with each engine's default model (`LLAMACPP_DEFAULT_MODEL`, `MLX_DEFAULT_MODEL`)
 * preloaded. An engine that is not installed, or a default model that is missing or fails to load, is
 * reported and skipped: the other models and the configured hosts still serve. Undefined when no
 * engine is managed.
 */
export async function startModelServer(context: {
  config: ServerConfig;
  logger: Logger;
  store: EngineManifestStore;
  supervisor: EngineSupervisor;
  metrics?: ServerMetrics;
}): Promise<ModelServer | undefined> {
  const { config, logger, store, supervisor } = context;
  const programs: Partial<Record<EngineName, string>> = {};
  for (const spec of engineSpecs()) {
    if (!wantsManaged(config, spec)) continue;
    // A launch command of the user's own needs no managed Python; `python3` only fills the slot.
    const program =
      (await spec.resolveProgram(config, store)) ??
      (spec.name === 'mlx' && config.values.MLX_LAUNCH_COMMAND ? 'python3' : undefined);
    if (!program) {
      const plan = await spec.plan(config, store);
      logger.error(
        plan.ok ? {} : (plan.details ?? {}),
        plan.ok ? `${spec.displayName} is not installed` : plan.problem,
      );
      continue;
    }
    programs[spec.name] = program;
  }
  const engines = Object.keys(programs) as EngineName[];
  if (engines.length === 0) return undefined;
  const headers = new GgufHeaderCache();
  const models = new ModelServer({
    config,
    logger,
    supervisor,
    programs,
    ...(context.metrics ? { metrics: context.metrics } : {}),
    listModels: new ServableModelsCache(config, engines, headers).list,
  });
  const onDisk = await listServableModels(config, engines, headers);
  logger.info({ engines, models: onDisk.length }, 'local models servable on demand');
  for (const spec of engineSpecs()) {
    if (!programs[spec.name]) continue;
    const wanted = spec.resolveModel(config) ?? config.values[spec.keys.model];
    if (!wanted) continue;
    const model = findDefault(onDisk, spec.name, wanted);
    if (!model) {
      logger.error(
        { model: config.values[spec.keys.model] },
        `${spec.keys.model} is not a local model: run \`autobyteus-server models pull <ref>\`; other models still load on demand`,
      );
      continue;
    }
    try {
      await models.load(model);
    } catch (error) {
      logger.error({ err: error, model: model.id }, `the default ${spec.displayName} model did not load; continuing`);
    }
  }
  return models;
}
