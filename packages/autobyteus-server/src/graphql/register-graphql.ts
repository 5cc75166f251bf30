import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { printable } from '../http/untrusted-text.js';
import type { GraphqlDeps } from './graphql-deps.js';
import type { GraphqlExecutor } from './graphql-executor.js';

/** Largest GraphQL request body; a document this size is far beyond any real operation. */
export const MAX_DOCUMENT_BYTES = 64 * 1024;

/**
 * `/graphql` (POST, and GET for queries; mutations over GET are refused with 405). The routes are
 * ordinary routes of the app, registered at start-up, so the route-auth hook demands the token for
 * them like for every route. The GraphQL stack itself (`graphql`, the schema, the resolvers) is
 * imported on the first request that reaches the handler: most servers never see one, and
 * loading it costs about 10 MB of RSS. No GraphiQL: the server ships no IDE pages.
 */
export function registerGraphql(app: FastifyInstance, deps: GraphqlDeps): void {
  let executor: Promise<GraphqlExecutor> | undefined;
  const load = (): Promise<GraphqlExecutor> => {
    executor ??= import('./graphql-executor.js').then(
      (module) => new module.GraphqlExecutor(deps),
      (error: unknown) => {
        // A failed import is retried by the next request rather than answered from the cache.
        executor = undefined;
        throw error;
      },
    );
    return executor;
  };

  // Encapsulated: the `application/graphql` parser and the GraphQL-shaped errors apply to these routes only.
  app.register(async (scope) => {
    scope.addContentTypeParser('application/graphql', { parseAs: 'string' }, (_request, body, done) => {
      done(null, { query: body });
    });
    scope.setErrorHandler(graphqlRequestError);
    scope.route({
      method: ['GET', 'POST'],
      url: '/graphql',
      bodyLimit: MAX_DOCUMENT_BYTES,
      handler: async (request, reply) => {
        const answer = await (await load()).run({
          method: request.method,
          input: request.method === 'POST' ? request.body : request.query,
          requestId: String(request.id),
          log: request.log,
        });
        return reply.code(answer.status).send(answer.body);
      },
    });
  });
}

/**
 * Failures before the document is looked at (oversized or malformed bodies, other content types)
 * and unexpected ones, answered in GraphQL's shape. Plain objects: building them must not load
 * the GraphQL stack.
 */
function graphqlRequestError(
  error: { statusCode?: number; code?: string; message: string },
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
  if (status < 500) {
    const message =
      error.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
        ? `request body larger than ${MAX_DOCUMENT_BYTES} bytes`
        : // Parser and media-type messages can quote the client's body or headers.
          printable(error.message, 300);
    return reply.code(status).send({ data: null, errors: [{ message }] });
  }
  request.log.error({ err: error }, 'GraphQL request failed');
  return reply.code(500).send({
    data: null,
    errors: [
      { message: `internal server error (request id ${request.id})`, extensions: { code: 'INTERNAL_SERVER_ERROR' } },
    ],
  });
}
