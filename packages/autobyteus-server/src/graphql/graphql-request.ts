import { z } from 'zod';
import { jsonDeeperThan, MAX_JSON_DEPTH } from '../http/json-body-parser.js';
import { printable } from '../http/untrusted-text.js';

/** One GraphQL operation as a client sends it (GraphQL over HTTP); batches are not accepted. */
export interface GraphqlRequest {
  query?: string;
  variables?: Record<string, unknown> | null;
  operationName?: string | null;
}

/** A request whose parameters are not a GraphQL request; answered with 400 and this message. */
export class GraphqlRequestError extends Error {
  override name = 'GraphqlRequestError';
}

const variablesSchema = z.record(z.string(), z.unknown()).nullable();

/** A POST body (JSON, or `application/graphql` text turned into `{ query }`). Other keys are ignored. */
const bodySchema = z.object({
  query: z.string().optional(),
  variables: variablesSchema.optional(),
  operationName: z.string().nullable().optional(),
});

/** GET parameters: `variables` is JSON text. A repeated parameter arrives as an array and is refused. */
const querystringSchema = z.object({
  query: z.string().optional(),
  variables: z.string().optional(),
  operationName: z.string().optional(),
});

/** The operation a POST body or GET query string asks for; throws `GraphqlRequestError` when it is none. */
export function graphqlRequestOf(method: string, input: unknown): GraphqlRequest {
  if (method === 'POST') return checked(bodySchema, input, 'body');
  const params = checked(querystringSchema, input, 'querystring');
  const { variables, ...rest } = params;
  if (variables === undefined) return rest;
  return { ...rest, variables: checked(variablesSchema, parseVariables(variables), 'querystring.variables') };
}

function parseVariables(text: string): unknown {
  if (jsonDeeperThan(text, MAX_JSON_DEPTH)) {
    throw new GraphqlRequestError(`variables nest JSON objects/arrays deeper than ${MAX_JSON_DEPTH} levels`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text, refuseProtoKey);
  } catch (error) {
    if (error instanceof GraphqlRequestError) throw error;
    throw new GraphqlRequestError('variables is not valid JSON');
  }
  return parsed;
}

/** As the JSON body parser does for POST: a `__proto__` key would replace an object's prototype once copied. */
function refuseProtoKey(key: string, value: unknown): unknown {
  if (key === '__proto__') throw new GraphqlRequestError('variables contain a "__proto__" key');
  return value;
}

function checked<T>(schema: z.ZodType<T>, input: unknown, where: string): T {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => `${[where, ...i.path].join('.')}: ${i.message}`).join('; ');
  throw new GraphqlRequestError(`not a GraphQL request: ${printable(problems, 300)}`);
}
