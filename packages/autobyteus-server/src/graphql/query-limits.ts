import {
  type ASTVisitor,
  type FragmentDefinitionNode,
  type GraphQLNamedType,
  Kind,
  type SelectionSetNode,
  type ValidationContext,
} from 'graphql';
import { clientError } from './graphql-errors.js';

/**
 * Depth limit (`queryDepthRule`). The schema itself is four levels deep; the rest is headroom for
 * the standard introspection query (its type references nest `ofType` many times), which code
 * generators and IDE plugins send.
 */
export const MAX_QUERY_DEPTH = 16;

/** Fields of the root types per document: each one is a listing or a reload (autobyteus-web asks for four). */
export const MAX_ROOT_FIELDS = 10;

/** Field selections per document (the standard introspection query has about a hundred). */
export const MAX_FIELDS = 500;

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

/**
 * Validation rule refusing an operation nested deeper than `MAX_QUERY_DEPTH`: each field and
 * inline fragment is a level, a fragment spread counts as the fragment's own levels. Unknown or
 * cyclic fragments count nothing here; the standard rules report them.
 */
export function queryDepthRule(context: ValidationContext): ASTVisitor {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of context.getDocument().definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const fragmentDepths = new Map<string, number>();
  const visiting = new Set<string>();

  const depthOf = (selectionSet: SelectionSetNode | undefined): number => {
    let deepest = 0;
    for (const selection of selectionSet?.selections ?? []) {
      const depth =
        selection.kind === Kind.FRAGMENT_SPREAD
          ? fragmentDepth(selection.name.value)
          : 1 + depthOf(selection.selectionSet);
      deepest = Math.max(deepest, depth);
    }
    return deepest;
  };
  const fragmentDepth = (name: string): number => {
    const known = fragmentDepths.get(name);
    if (known !== undefined) return known;
    const fragment = fragments.get(name);
    if (!fragment || visiting.has(name)) return 0;
    visiting.add(name);
    const depth = depthOf(fragment.selectionSet);
    visiting.delete(name);
    fragmentDepths.set(name, depth);
    return depth;
  };

  return {
    OperationDefinition(node) {
      const depth = depthOf(node.selectionSet);
      if (depth <= MAX_QUERY_DEPTH) return;
      const operation = node.name ? `operation "${node.name.value}"` : 'the operation';
      context.reportError(
        clientError(
          `${operation}: query depth ${depth} exceeds the query depth limit of ${MAX_QUERY_DEPTH}`,
          'QUERY_TOO_COMPLEX',
        ),
      );
    },
  };
}
