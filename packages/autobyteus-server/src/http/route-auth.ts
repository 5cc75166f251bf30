import type { FastifyInstance } from 'fastify';
import { tokenMatches } from './api-token.js';
import { openAIError } from './openai-error.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Served without the bearer token. Every route not marked so requires it (deny by default). */
    public?: boolean;
  }
}

/**
 * Bearer-token check, decided on the route the router matched (Fastify runs onRequest after
 * routing), never on the request-target text: `/%761/models`, `http://x/v1/models` and the like
 * reach the same handler as `/v1/models` and so need the same token. Unmatched targets (the 404
 * handler) need it too, so an unauthenticated client learns nothing about which paths exist.
 */
export function registerRouteAuth(app: FastifyInstance, token: string | undefined): void {
  if (!token) return;
  app.addHook('onRequest', async (request, reply) => {
    if (request.routeOptions.config.public === true && !request.is404) return;
    if (tokenMatches(token, request.headers.authorization)) return;
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
  });
}
