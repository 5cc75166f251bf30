import type { LLMFactory } from 'autobyteus';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { ServerConfig } from '../config/server-config.js';
import type { ManagedEngineStates } from '../engines/engine-inventory.js';
import { registerAdminRoutes } from './admin-routes.js';
import { tokenMatches } from './api-token.js';
import { registerGatewayRoutes } from './gateway-routes.js';
import { openAIError } from './openai-error.js';
import { openApiDocument } from './openapi-document.js';

export interface AppDeps {
  factory: LLMFactory;
  config: ServerConfig;
  logger: Logger;
  managed: ManagedEngineStates;
  /** Required bearer token; undefined = open (loopback without a configured token). */
  apiToken?: string;
  version: string;
}

/** Builds the HTTP app: admin API, OpenAPI document and the OpenAI-compatible gateway on one port. */
export function buildApp(deps: AppDeps): FastifyInstance {
  const startedAt = Date.now();
  const app = Fastify({
    loggerInstance: deps.logger as unknown as FastifyBaseLogger,
    bodyLimit: deps.config.values.AUTOBYTEUS_MAX_BODY_BYTES,
    return503OnClosing: true,
  });

  app.addHook('onRequest', async (request, reply) => {
    (request as FastifyRequest & { arrivedAt?: number }).arrivedAt = performance.now();
    if (!deps.apiToken) return;
    const path = request.url.split('?')[0] ?? '';
    if (!path.startsWith('/api/') && !path.startsWith('/v1/')) return;
    if (!tokenMatches(deps.apiToken, request.headers.authorization)) {
      await reply
        .code(401)
        .header('www-authenticate', 'Bearer')
        .send(
          openAIError(
            'missing or wrong bearer token (Authorization: Bearer <AUTOBYTEUS_API_TOKEN>)',
            'authentication_error',
            'invalid_api_key',
          ),
        );
    }
  });

  // Malformed JSON, oversized bodies, wrong content types: OpenAI-style errors, never HTML or stack traces.
  app.setErrorHandler((error: { statusCode?: number; code?: string; message: string }, request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    const message =
      error.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
        ? `request body larger than ${deps.config.values.AUTOBYTEUS_MAX_BODY_BYTES} bytes`
        : status >= 500
          ? 'internal server error'
          : error.message;
    const type = status === 413 ? 'request_too_large' : status >= 500 ? 'server_error' : 'invalid_request_error';
    return reply.code(status).send(openAIError(message, type, error.code ?? null));
  });
  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .send(
        openAIError(`no route ${request.method} ${request.url.split('?')[0]}`, 'invalid_request_error', 'not_found'),
      ),
  );

  app.get('/api/openapi.json', async () => openApiDocument(deps.version));
  registerAdminRoutes(app, {
    factory: deps.factory,
    config: deps.config,
    managed: deps.managed,
    startedAt,
    version: deps.version,
  });
  registerGatewayRoutes(app, {
    factory: deps.factory,
    logger: deps.logger,
    logPrompts: deps.config.values.LOG_PROMPTS,
    startedAt,
  });
  return app;
}
