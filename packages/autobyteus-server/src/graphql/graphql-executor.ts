import type { FastifyBaseLogger } from 'fastify';
import {
  buildSchema,
  type DocumentNode,
  execute,
  GraphQLError,
  type GraphQLFieldResolver,
  type GraphQLFormattedError,
  type GraphQLObjectType,
  GraphQLScalarType,
  type GraphQLSchema,
  getOperationAST,
  parse,
  specifiedRules,
  validate,
  valueFromASTUntyped,
} from 'graphql';
import type { GraphqlDeps } from './graphql-deps.js';
import { clientError, isDeliberate, maskedError } from './graphql-errors.js';
import { GraphqlRequestError, graphqlRequestOf } from './graphql-request.js';
import { providerQueryResolvers } from './provider-resolvers.js';
import { queryDepthRule, queryLimitsRule } from './query-limits.js';
import { reloadResolvers } from './reload-resolvers.js';
import { SCHEMA_SDL } from './schema.js';

/** What `/graphql` answers: the HTTP status and the GraphQL result (`{ data }`, or `{ data, errors }`). */
export interface GraphqlAnswer {
  status: number;
  body: { data: unknown; errors?: GraphQLFormattedError[] };
}

/** One HTTP request to `/graphql`, as the route hands it over. */
export interface GraphqlCall {
  method: string;
  /** The parsed body for POST, the query string's parameters otherwise. */
  input: unknown;
  requestId: string;
  log: FastifyBaseLogger;
}

const VALIDATION_RULES = [...specifiedRules, queryLimitsRule, queryDepthRule];

/**
 * Runs GraphQL requests against the provider schema: parse, validate (the standard rules and the
 * limits of `query-limits.ts`), then execute. Any failure before execution fails the document as a
 * whole with a 4xx and `data: null`; resolver errors come back beside the data with 200, unexpected
 * ones masked (details to the log). Loaded by `registerGraphql` on the first request.
 */
export class GraphqlExecutor {
  private readonly schema: GraphQLSchema;

  constructor(deps: GraphqlDeps) {
    this.schema = providerSchema(deps);
  }

  async run(call: GraphqlCall): Promise<GraphqlAnswer> {
    let request: ReturnType<typeof graphqlRequestOf>;
    try {
      request = graphqlRequestOf(call.method, call.input);
    } catch (error) {
      if (error instanceof GraphqlRequestError) return refused(400, [new GraphQLError(error.message)]);
      throw error;
    }
    if (!request.query) return refused(400, [new GraphQLError('Unknown query')]);

    const parsed = this.parsed(request.query);
    if ('errors' in parsed) return refused(400, parsed.errors);
    const { document } = parsed;
    const invalid = validate(this.schema, document, VALIDATION_RULES);
    if (invalid.length > 0) return refused(400, invalid);

    // GET (and HEAD) requests may be cross-site and cached: they run queries, never mutations.
    const operation = getOperationAST(document, request.operationName);
    if (call.method !== 'POST' && operation && operation.operation !== 'query') {
      return refused(405, [new GraphQLError('Operation cannot be performed via a GET request')]);
    }

    const result = await execute({
      schema: this.schema,
      document,
      variableValues: request.variables ?? null,
      operationName: request.operationName ?? null,
    });
    // No `data` at all: the request could not start (unknown operation, variables of the wrong type).
    if (!('data' in result)) return refused(400, result.errors ?? []);
    if (!result.errors) return { status: 200, body: { data: result.data } };
    const errors = result.errors.map((error) => {
      if (isDeliberate(error)) return error.toJSON();
      call.log.error({ err: error.originalError ?? error }, 'GraphQL resolver failed');
      return maskedError(error, call.requestId).toJSON();
    });
    return { status: 200, body: { data: result.data ?? null, errors } };
  }

  /** The document, or the syntax error refusing it. */
  private parsed(query: string): { document: DocumentNode } | { errors: GraphQLError[] } {
    try {
      return { document: parse(query) };
    } catch (error) {
      if (error instanceof GraphQLError) return { errors: [error] };
      // The parser recurses per nesting level: a document of nothing but braces exhausts the stack.
      if (error instanceof RangeError) {
        return { errors: [clientError('the document nests too deeply to parse', 'QUERY_TOO_COMPLEX')] };
      }
      throw error;
    }
  }
}

function refused(status: number, errors: readonly GraphQLError[]): GraphqlAnswer {
  return { status, body: { data: null, errors: errors.map((error) => error.toJSON()) } };
}

/** The schema of `schema.ts` with the resolvers on its root fields and the `JSON` scalar passing values through. */
function providerSchema(deps: GraphqlDeps): GraphQLSchema {
  const schema = buildSchema(SCHEMA_SDL);
  attachResolvers(schema.getQueryType(), providerQueryResolvers(deps));
  attachResolvers(schema.getMutationType(), reloadResolvers(deps));
  const json = schema.getType('JSON');
  if (!(json instanceof GraphQLScalarType)) throw new Error('schema.ts declares no JSON scalar');
  json.serialize = (value) => value;
  json.parseValue = (value) => value;
  json.parseLiteral = (node, variables) => valueFromASTUntyped(node, variables);
  return schema;
}

function attachResolvers(
  type: GraphQLObjectType | null | undefined,
  resolvers: Record<string, GraphQLFieldResolver<unknown, unknown, never>>,
): void {
  const fields = type?.getFields() ?? {};
  for (const [name, resolve] of Object.entries(resolvers)) {
    const field = fields[name];
    if (!field) throw new Error(`schema.ts has no root field ${name} for its resolver`);
    field.resolve = resolve as GraphQLFieldResolver<unknown, unknown>;
  }
}
