import type { FastifyInstance, FastifyRequest } from 'fastify';
import { isLoopback } from './api-token.js';
import { openAIError } from './openai-error.js';

/**
 * What keeps web pages out of a server that runs without a token (loopback, none configured).
 * A browser lets any page send requests to 127.0.0.1: a form or `fetch(..., { mode: 'no-cors' })`
 * POST needs no permission, so without a check a page could load models, start pulls or upgrade
 * engines. Two rules, as local model servers commonly apply them:
 * - a request carrying `Origin` must come from this server's own origin (the console at `/ui`) or
 *   one in `AUTOBYTEUS_CORS_ORIGINS`;
 * - the `Host` header must be a loopback name or address, so a page whose DNS name is re-bound to
 *   127.0.0.1 (its requests then look same-origin to the browser) is refused too.
 * With a token none of this is needed: a page cannot send the `Authorization` header cross-origin
 * without a preflight, and a page that does not know the token gets 401 anyway.
 */
export function registerBrowserGuard(app: FastifyInstance, origins: readonly string[] | undefined): void {
  const allowed = new Set(origins ?? []);
  const anyOrigin = allowed.has('*');
  app.addHook('onRequest', async (request, reply) => {
    const refusal = refusalOf(request, allowed, anyOrigin);
    if (!refusal) return;
    request.log.warn({ reason: refusal.code }, 'browser request refused');
    await reply.code(403).send(openAIError(refusal.message, 'permission_error', refusal.code));
  });
}

function refusalOf(request: FastifyRequest, allowed: ReadonlySet<string>, anyOrigin: boolean) {
  const host = (request.headers.host ?? '').toLowerCase();
  if (!isLoopback(hostName(host))) {
    return {
      code: 'host_not_allowed',
      message:
        'this server runs without a token and answers only loopback host names (localhost, 127.0.0.1, [::1]); set AUTOBYTEUS_API_TOKEN to serve other names',
    };
  }
  const origin = request.headers.origin;
  // Preflights are the CORS layer's: an allowed origin's is answered before this hook runs.
  if (origin === undefined || request.method === 'OPTIONS') return undefined;
  if (anyOrigin || allowed.has(origin) || sameOrigin(origin, host)) return undefined;
  return {
    code: 'origin_not_allowed',
    message: 'requests from web pages of other origins are refused; add the origin to AUTOBYTEUS_CORS_ORIGINS',
  };
}

/** The name part of a Host header (`[::1]:8765` → `[::1]`, `localhost:8765` → `localhost`). */
function hostName(host: string): string {
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1);
  const colon = host.indexOf(':');
  return colon === -1 ? host : host.slice(0, colon);
}

function sameOrigin(origin: string, host: string): boolean {
  try {
    return new URL(origin).host.toLowerCase() === host;
  } catch {
    return false;
  }
}
