import fastifyCors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';

/** Methods a browser may use cross-origin: every method a route of ours answers. */
const CORS_METHODS = ['GET', 'HEAD', 'POST', 'DELETE'];

/** How long a browser may cache a preflight answer, in seconds. */
const PREFLIGHT_MAX_AGE_S = 600;

/**
 * Cross-origin access for the browser origins in `AUTOBYTEUS_CORS_ORIGINS` (none: no CORS at all,
 * the default). Must be registered before the route-auth hook: a preflight carries no
 * `Authorization` header, so an allowed origin's preflight is answered here, before the token
 * check; the actual request still needs the token. Any other origin gets no CORS headers, and its
 * preflight goes on to the token check like every request. No credentials mode: the API uses bearer
 * tokens, never cookies.
 */
export function registerCors(app: FastifyInstance, origins: readonly string[] | undefined): void {
  if (!origins || origins.length === 0) return;
  const anyOrigin = origins.includes('*');
  const allowed = new Set(origins);
  app.register(fastifyCors, {
    // A function (not the list itself): for a refused origin the plugin then adds nothing, and its
    // preflight is not answered (the list form would still answer it, with allow-methods headers).
    origin: (origin, callback) => callback(null, origin !== undefined && (anyOrigin || allowed.has(origin))),
    methods: CORS_METHODS,
    exposedHeaders: ['x-request-id', 'retry-after'],
    maxAge: PREFLIGHT_MAX_AGE_S,
    credentials: false,
    strictPreflight: true,
  });
}
