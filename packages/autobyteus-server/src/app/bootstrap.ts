import type { LLMFactory } from 'autobyteus';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { ServerConfig } from '../config/server-config.js';
import { supervisorStates, wantsAnyManaged } from '../engines/managed-engines.js';
import { EngineManifestStore } from '../engines/manifest/engine-manifest-store.js';
import { EngineSupervisor } from '../engines/process/engine-supervisor.js';
import { isLoopback, resolveApiToken } from '../http/api-token.js';
import { buildApp } from '../http/server-app.js';
import { KnownModelNames } from '../metrics/known-model-names.js';
import { ServerMetrics } from '../metrics/server-metrics.js';
import { createDispatcher } from '../routing/pool-dispatcher.js';
import type { ModelServer } from '../serving/model-server.js';
import { startModelServer } from '../serving/start-model-server.js';
import { SERVER_VERSION } from '../version.js';
import { createFactory } from './create-factory.js';
import { HealthMonitor } from './health-monitor.js';

/** A start-up refusal with a message that says what to change. */
export class StartupError extends Error {
  override name = 'StartupError';
}

export interface RunningServer {
  url: string;
  factory: LLMFactory;
  /** The local models the server runs itself (absent when no engine is managed). */
  models?: ModelServer;
  app: FastifyInstance;
  /** The server's Prometheus metrics (`GET /metrics`). */
  metrics: ServerMetrics;
  /** Set when this start generated the API token (show it once). */
  generatedToken?: { token: string; path: string };
  close(): Promise<void>;
}

/**
 * Starts the server in the design's order: configuration (already loaded) → managed engines →
 * `LLMFactory.ensureInitialized()` with the server's settings object → HTTP → background health.
 */
export async function startServer(config: ServerConfig, logger: Logger): Promise<RunningServer> {
  const v = config.values;
  const host = v.AUTOBYTEUS_HOST;
  if (!isLoopback(host) && !v.ALLOW_REMOTE) {
    throw new StartupError(
      `refusing to listen on ${host}: only loopback addresses are allowed unless ALLOW_REMOTE=true ` +
        '(then every /api and /v1 request needs the bearer token AUTOBYTEUS_API_TOKEN)',
    );
  }
  for (const warning of config.warnings) logger.warn(warning);
  const token = resolveApiToken({ configured: v.AUTOBYTEUS_API_TOKEN, listenHost: host, home: config.home });

  // Created first: clients for the managed engines (the factory's) send the keys the supervisor's engines hold.
  const supervisor = new EngineSupervisor();
  const factory = createFactory(config, logger, undefined, (_runtime, hostUrl) => supervisor.apiKeyFor(hostUrl));
  // Only names the server knows become metric labels: the hosts' models, the configured names and
  // aliases, and the local models on disk.
  const knownModels = new KnownModelNames(
    [
      () => factory.listAvailableModels().flatMap((m) => [m.name, m.modelIdentifier]),
      () => Object.entries(config.models).flatMap(([name, settings]) => [name, ...settings.alias]),
      async () => (models ? (await models.list()).flatMap((m) => m.model.names.concat(m.model.id)) : []),
    ],
    { onError: (error) => logger.warn({ err: error }, 'could not list the models for metric labels') },
  );
  const metrics = new ServerMetrics({ isKnownModel: (name) => knownModels.has(name) });

  // Managed engines first: their default models are preloaded, every other local model loads on
  // its first request. The factory covers the configured hosts only.
  const uninstallExitHandlers = supervisor.installExitHandlers(process, { exitAfterSignal: false });
  let models: ModelServer | undefined;
  if (wantsAnyManaged(config)) {
    models = await startModelServer({
      config,
      logger,
      store: EngineManifestStore.forHome(config.home),
      supervisor,
      metrics,
    });
  } else {
    logger.info(
      v.LLM_HOST_MANAGEMENT === 'external'
        ? 'LLM_HOST_MANAGEMENT=external: using the configured hosts only'
        : 'no managed engines; using the configured hosts',
    );
  }

  await factory.ensureInitialized();
  for (const h of factory.getHostHealth()) {
    logger.info(
      { runtime: h.runtime, host: h.hostUrl, status: h.status, models: h.modelCount, error: h.error },
      'host',
    );
  }

  await knownModels.refresh();

  const dispatcher = createDispatcher(config, factory, metrics);
  const app = buildApp({
    factory,
    metrics,
    dispatcher,
    config,
    logger,
    managed: supervisorStates(supervisor),
    ...(models ? { models } : {}),
    apiToken: token.token,
    version: SERVER_VERSION,
    connectionLimits: { keepAliveTimeoutMs: v.AUTOBYTEUS_KEEP_ALIVE_TIMEOUT_MS },
  });
  await app.listen({ host, port: v.AUTOBYTEUS_PORT });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : v.AUTOBYTEUS_PORT;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const monitor = new HealthMonitor(factory, v.AUTOBYTEUS_HEALTH_INTERVAL_MS, logger, () => {
    for (const h of factory.getHostHealth()) {
      metrics.hostState(h.runtime, h.hostUrl, h.status === 'up', dispatcher.breaker(h.runtime, h.hostUrl).state);
    }
  });
  monitor.start();
  logger.info({ url, auth: token.token ? 'bearer token' : 'none (loopback)' }, 'autobyteus-server listening');

  return {
    url,
    factory,
    ...(models ? { models } : {}),
    app,
    metrics,
    generatedToken: token.generated && token.token && token.path ? { token: token.token, path: token.path } : undefined,
    close: async () => {
      await monitor.stop();
      await app.close();
      await factory.close();
      await models?.close();
      await supervisor.stopAll();
      uninstallExitHandlers();
    },
  };
}
