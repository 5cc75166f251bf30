import type { ASTVisitor, GraphQLNamedType, ValidationContext } from 'graphql';
import { clientError } from './graphql-errors.js';

/**
 * Depth limit, checked by mercurius. The schema itself is four levels deep; the rest is headroom
 * for the standard introspection query (its type references nest `ofType` many times), which code
 * generators and IDE plugins send.
 */
export const MAX_QUERY_DEPTH = 16;

/** Fields of the root types per document: each one is a listing or a reload (autobyteus-web asks for four). */
export const MAX_ROOT_FIELDS = 10;

/** Field selections per document (the standard introspection query has about a hundred). */
export const MAX_FIELDS = 500;

/** Largest GraphQL request body; a document this size is far beyond any real operation. */
export const MAX_DOCUMENT_BYTES = 64 * 1024;

/**
 * Validation rule bounding the work one document can ask for: a client aliasing the listing a
 * thousand times (each alias reads the model folders again) or sending a huge selection is refused
 * before anything runs, and the whole document fails, like any validation error.
 */
export function queryLimitsRule(context: ValidationContext): ASTVisitor {
  const schema = context.getSchema();
  const roots = new Set<GraphQLNamedType | null | undefined>([schema.getQueryType(), schema.getMutationType()]);
  let fields = 0;
  let rootFields = 0;
  return {
    Field(node) {
      fields += 1;
      if (fields === MAX_FIELDS + 1) {
        context.reportError(clientError(`the document selects more than ${MAX_FIELDS} fields`, 'QUERY_TOO_COMPLEX'));
      }
      const parent = context.getParentType();
      if (parent && roots.has(parent) && !node.name.value.startsWith('__')) {
        rootFields += 1;
        if (rootFields === MAX_ROOT_FIELDS + 1) {
          context.reportError(
            clientError(`the document asks for more than ${MAX_ROOT_FIELDS} top-level fields`, 'QUERY_TOO_COMPLEX'),
          );
        }
      }
    },
  };
}
