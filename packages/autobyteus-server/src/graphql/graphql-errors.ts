import { GraphQLError } from 'graphql';
import { printable } from '../http/untrusted-text.js';

/** Machine-readable codes in `errors[].extensions.code`, beside GraphQL's own validation errors. */
export type GraphqlErrorCode = 'BAD_USER_INPUT' | 'PROVIDER_NOT_FOUND' | 'QUERY_TOO_COMPLEX' | 'INTERNAL_SERVER_ERROR';

/** An error a client caused or should see as is; text from the request goes through `printable`. */
export function clientError(message: string, code: GraphqlErrorCode): GraphQLError {
  return new GraphQLError(message, { extensions: { code } });
}

/** A provider id the client sent that names no provider. */
export function providerNotFound(providerId: string): GraphQLError {
  return clientError(
    `no provider "${printable(providerId)}" (availableLlmProvidersWithModels lists the provider ids)`,
    'PROVIDER_NOT_FOUND',
  );
}

/**
 * Whether a GraphQL error may be shown as it is: GraphQL's own (syntax, validation, variables) and
 * the ones resolvers raise on purpose. Anything else is an unexpected failure whose message could
 * carry local details (paths, addresses); it is replaced before it leaves.
 */
export function isDeliberate(error: GraphQLError): boolean {
  return error.originalError === undefined || error.originalError instanceof GraphQLError;
}

/** The replacement of an unexpected error: same place in the document, no details. */
export function maskedError(error: GraphQLError, requestId: string): GraphQLError {
  return new GraphQLError(`internal server error (request id ${requestId})`, {
    ...(error.nodes ? { nodes: error.nodes } : {}),
    ...(error.path ? { path: error.path } : {}),
    extensions: { code: 'INTERNAL_SERVER_ERROR' satisfies GraphqlErrorCode },
  });
}
