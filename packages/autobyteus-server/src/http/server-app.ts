import { randomUUID } from 'node:crypto';
import type { LLMFactory } from 'autobyteus';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { BackgroundJobs } from '../app/background-jobs.js';
import { EngineUpgrades } from '../app/engine-upgrades.js';
import { ModelPulls } from '../app/model-pulls.js';
import type { ServerConfig } from '../config/server-config.js';
import { registerConsole } from '../console/register-console.js';
import type { ManagedEngineStates } from '../engines/engine-inventory.js';
import { EngineManifestStore } from '../engines/manifest/engine-manifest-store.js';
import { registerGraphql } from '../graphql/register-graphql.js';
import { ServerMetrics } from '../metrics/server-metrics.js';
import { createDispatcher, type PoolDispatcher } from '../routing/pool-dispatcher.js';
import type { ModelServer } from '../serving/model-server.js';
import { registerAdminRoutes } from './admin-routes.js';
import { registerBrowserGuard } from './browser-guard.js';
import {
  type ConnectionLimits,
  closeSilentConnections,
  DEFAULT_CONNECTION_LIMITS,
  fastifyTimeoutOptions,
  refuseOversizedBody,
} from './connection-limits.js';
import { registerCors } from './cors.js';
import { registerEngineRoutes } from './engine-routes.js';
import { registerGatewayRoutes } from './gateway-routes.js';
import { registerJsonBodyParser } from './json-body-parser.js';
import { registerMetricsRoutes } from './metrics-routes.js';
import { openAIError, withRequestId } from './openai-error.js';
import { openApiDocument } from './openapi-document.js';
import { registerPullRoutes } from './pull-routes.js';
import { registerRouteAuth } from './route-auth.js';
import { runtimeCapabilities } from './runtime-capabilities.js';
import { printable } from './untrusted-text.js';

export interface AppDeps {
  factory: LLMFactory;
  config: ServerConfig;
  logger: Logger;
  managed: ManagedEngineStates;
  /** The server's local models, loaded on demand. */
  models?: ModelServer;
  /** Routing over the hosts' pools (default: one made from the configuration). */
  dispatcher?: PoolDispatcher;
  /** Required bearer token; undefined = open (loopback without a configured token). */
  apiToken?: string;
  version: string;
  /** Keep-alive and request-receiving bounds; defaults suit a gateway serving long streams. */
  connectionLimits?: Partial<ConnectionLimits>;
  /** The metrics `GET /metrics` shows; absent: a registry of the app's own (so the route always exists). */
  metrics?: ServerMetrics;
  /** Model pulls and engine upgrades started through the API (default: a tracker of the app's own). */
  jobs?: BackgroundJobs;
}

/** Builds the HTTP app: admin API, OpenAPI document and the OpenAI-compatible gateway on one port. */
export function buildApp(deps: AppDeps): FastifyInstance {
  const startedAt = Date.now();
  const limits = { ...DEFAULT_CONNECTION_LIMITS, ...deps.connectionLimits };
  const maxBody = deps.config.values.AUTOBYTEUS_MAX_BODY_BYTES;
  const metrics = deps.metrics ?? new ServerMetrics();
  const app = Fastify({
    loggerInstance: deps.logger as unknown as FastifyBaseLogger,
    bodyLimit: maxBody,
    return503OnClosing: true,
    // Unique across restarts, so a request id from a client report finds one log line.
    genReqId: () => randomUUID(),
    ...fastifyTimeoutOptions(limits),
    // Undecodable targets are answered before routing: no echo of the target (Fastify's default does).
    frameworkErrors: (error, request, reply) => {
      request.log.info({ code: error.code }, 'malformed request target');
      (reply as FastifyReply)
        .code(error.statusCode ?? 400)
        .header('x-request-id', request.id)
        .send(openAIError('malformed request target', 'invalid_request_error', error.code));
    },
  });
  closeSilentConnections(app, limits);
  registerJsonBodyParser(app);

  app.addHook('onRequest', async (request, reply) => {
    (request as FastifyRequest & { arrivedAt?: number }).arrivedAt = performance.now();
    reply.header('x-request-id', request.id);
    // Before the token check: an upload that will be refused anyway is not read either way.
    refuseOversizedBody(request, reply, maxBody, limits.drainAfterRefusalMs);
  });
  // Before the token check: a preflight from an allowed origin carries no token.
  registerCors(app, deps.config.values.AUTOBYTEUS_CORS_ORIGINS);
  if (!deps.apiToken) registerBrowserGuard(app, deps.config.values.AUTOBYTEUS_CORS_ORIGINS);
  registerRouteAuth(app, deps.apiToken);

  // Malformed JSON, oversized bodies, wrong content types: OpenAI-style errors, never HTML or stack traces.
  app.setErrorHandler((error: { statusCode?: number; code?: string; message: string }, request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
    const message =
      error.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
        ? `request body larger than ${maxBody} bytes`
        : status >= 500
          ? 'internal server error'
          : // Parser and media-type messages can quote the client's body or headers.
            printable(error.message, 300);
    const type = status === 413 ? 'request_too_large' : status >= 500 ? 'server_error' : 'invalid_request_error';
    const body = openAIError(message, type, error.code ?? null);
    if (status < 500) return reply.code(status).send(body);
    request.log.error({ err: error }, 'request failed');
    return reply.code(status).send(withRequestId(body, request.id));
  });
  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .send(
        openAIError(
          `no route ${request.method} ${printable(request.url.split('?')[0] ?? '')}`,
          'invalid_request_error',
          'not_found',
        ),
      ),
  );

  app.get('/api/openapi.json', async () => openApiDocument(deps.version));
  registerMetricsRoutes(app, { metrics });
  registerConsole(app);
  const dispatcher = deps.dispatcher ?? createDispatcher(deps.config, deps.factory, metrics);
  registerAdminRoutes(app, {
    factory: deps.factory,
    dispatcher,
    ...(deps.models ? { models: deps.models } : {}),
    config: deps.config,
    managed: deps.managed,
    startedAt,
    version: deps.version,
  });
  const jobs = deps.jobs ?? new BackgroundJobs();
  const store = EngineManifestStore.forHome(deps.config.home);
  // Pulls and upgrades in flight are cancelled (and unwound) before the app closes.
  app.addHook('onClose', async () => jobs.close());
  registerPullRoutes(app, { jobs, pulls: new ModelPulls({ config: deps.config, jobs }) });
  registerEngineRoutes(app, {
    factory: deps.factory,
    config: deps.config,
    managed: deps.managed,
    store,
    upgrades: new EngineUpgrades({
      config: deps.config,
      logger: deps.logger,
      jobs,
      store,
      ...(deps.models ? { models: deps.models } : {}),
    }),
  });
  registerGraphql(app, { factory: deps.factory, ...(deps.models ? { models: deps.models } : {}) });
  registerGatewayRoutes(app, {
    factory: deps.factory,
    ...(deps.models ? { models: deps.models } : {}),
    logger: deps.logger,
    logPrompts: deps.config.values.LOG_PROMPTS,
    startedAt,
    dispatcher,
    metrics,
    failoverAttempts: deps.config.values.AUTOBYTEUS_FAILOVER_ATTEMPTS,
    capabilities: runtimeCapabilities(deps.factory.getRuntimes()),
    aliases: Object.fromEntries(Object.entries(deps.config.models).map(([name, settings]) => [name, settings.alias])),
  });
  return app;
}
