import type { ApolloServerPlugin } from '@apollo/server';
import type { DocumentNode, GraphQLError, GraphQLSchema, OperationDefinitionNode } from 'graphql';
import { userError } from '@chatgraph/errors';
import { analyzeOperation, type CostOptions } from './analyzeOperation';

/** Limits on the shape of an operation, checked before anything is planned or fetched (HTTP and WebSocket). */
export interface OperationLimits extends CostOptions {
  /** Deepest field nesting. @default 12 */
  maxDepth: number;
  /** Most aliased fields in one operation (alias-based amplification). @default 50 */
  maxAliases: number;
  /** Most objects and fields an operation may ask for (see {@link analyzeOperation}). @default 5000 */
  maxCost: number;
}

/**
 * The first limit `operation` breaks, as a `QUERY_TOO_COMPLEX` error that says by how much (`extensions.cost` and
 * `maxCost`, `depth` and `maxDepth`, or `aliases` and `maxAliases`), or undefined when it is within all of them.
 */
export function checkOperationLimits(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown> | null | undefined,
  limits: OperationLimits,
): GraphQLError | undefined {
  const shape = analyzeOperation(schema, document, operation, variables, limits);
  if (shape.depth > limits.maxDepth)
    return userError(
      'QUERY_TOO_COMPLEX',
      `The operation is ${shape.depth} levels deep; the limit is ${limits.maxDepth}.`,
      {
        depth: shape.depth,
        maxDepth: limits.maxDepth,
      },
    );
  if (shape.aliases > limits.maxAliases)
    return userError(
      'QUERY_TOO_COMPLEX',
      `The operation uses ${shape.aliases} aliases; the limit is ${limits.maxAliases}.`,
      { aliases: shape.aliases, maxAliases: limits.maxAliases },
    );
  if (shape.cost > limits.maxCost)
    return userError(
      'QUERY_TOO_COMPLEX',
      `The operation may return about ${Number.isFinite(shape.cost) ? Math.round(shape.cost) : 'unboundedly many'} ` +
        `objects and fields; the limit is ${limits.maxCost}. Ask for smaller pages or fewer nested lists.`,
      { cost: Number.isFinite(shape.cost) ? shape.cost : Number.MAX_SAFE_INTEGER, maxCost: limits.maxCost },
    );
  return undefined;
}

/**
 * Apollo Server plugin applying {@link checkOperationLimits} to every HTTP operation once it is resolved (its
 * variables are known then, so `first: $n` counts as what `$n` is).
 */
export function operationLimitsPlugin(limits: OperationLimits): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document, operation, request }) {
          if (!operation) return;
          const error = checkOperationLimits(schema, document, operation, request.variables, limits);
          if (!error) return;
          error.extensions.http = { status: 400 };
          throw error;
        },
      };
    },
  };
}
