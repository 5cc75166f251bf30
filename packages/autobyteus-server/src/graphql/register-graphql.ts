import type { FastifyInstance } from 'fastify';
import { GraphQLError, type ValueNode, valueFromASTUntyped } from 'graphql';
import mercurius, { type MercuriusContext } from 'mercurius';
import type { GraphqlDeps } from './graphql-deps.js';
import { isDeliberate, maskedError } from './graphql-errors.js';
import { providerQueryResolvers } from './provider-resolvers.js';
import { MAX_DOCUMENT_BYTES, MAX_QUERY_DEPTH, queryLimitsRule } from './query-limits.js';
import { reloadResolvers } from './reload-resolvers.js';
import { SCHEMA_SDL } from './schema.js';

/** The `JSON` scalar: values pass through as they are. */
const jsonScalar = {
  serialize: (value: unknown) => value,
  parseValue: (value: unknown) => value,
  parseLiteral: (node: ValueNode, variables?: Record<string, unknown> | null) =>
    valueFromASTUntyped(node, variables ?? undefined),
};

/**
 * `/graphql` (POST, and GET for queries; mercurius refuses mutations over GET with 405). It is an
 * ordinary route of the app, so the route-auth hook demands the token for it like for every
 * route. No GraphiQL: the server ships no IDE pages. Depth, selection count and body size are
 * bounded (`query-limits.ts`); batched queries are off.
 */
export function registerGraphql(app: FastifyInstance, deps: GraphqlDeps): void {
  app.register(mercurius, {
    schema: SCHEMA_SDL,
    resolvers: {
      // mercurius copies these properties onto the scalar type.
      JSON: jsonScalar as never,
      Query: providerQueryResolvers(deps),
      Mutation: reloadResolvers(deps),
    },
    path: '/graphql',
    graphiql: false,
    ide: false,
    allowBatchedQueries: false,
    queryDepth: MAX_QUERY_DEPTH,
    validationRules: [queryLimitsRule],
    additionalRouteOptions: { bodyLimit: MAX_DOCUMENT_BYTES },
    errorFormatter: (execution, context) => formatErrors(execution, context),
  });
}

/**
 * mercurius's own formatting (status codes per the GraphQL-over-HTTP rules), after unexpected
 * errors have been replaced by a message without details; the original goes to the log.
 */
function formatErrors(
  execution: Parameters<typeof mercurius.defaultErrorFormatter>[0],
  context: MercuriusContext,
): ReturnType<typeof mercurius.defaultErrorFormatter> {
  const requestId = String(context.reply?.request.id ?? 'unknown');
  const errors = execution.errors.map((error) => {
    if (!(error instanceof GraphQLError) || isDeliberate(error)) return error;
    (context.reply?.log ?? context.app.log).error({ err: error.originalError ?? error }, 'GraphQL resolver failed');
    return maskedError(error, requestId);
  });
  return mercurius.defaultErrorFormatter({ ...execution, errors }, context);
}
