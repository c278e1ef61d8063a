import { GraphQLScalarType } from 'graphql';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { isDatabaseUnavailable } from '@chatgraph/db';
import { userError } from '@chatgraph/errors';

/**
 * Wraps every resolver so that a shard outage reaches the client as `SERVICE_UNAVAILABLE` (retry later; a failed
 * transaction wrote nothing, and a send retried with its clientMessageId cannot duplicate) instead of a masked
 * internal error. Other errors pass through unchanged.
 */
export function withOutageMapping<TContext>(resolvers: GraphQLResolverMap<TContext>): GraphQLResolverMap<TContext> {
  const wrapped: GraphQLResolverMap<TContext> = {};
  for (const [typeName, fields] of Object.entries(resolvers)) {
    if (fields instanceof GraphQLScalarType) {
      wrapped[typeName] = fields;
      continue;
    }
    const out: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(fields)) {
      if (typeof value !== 'function') {
        out[name] = value;
        continue;
      }
      const resolve = value as (...a: unknown[]) => unknown;
      // Synchronous resolvers stay synchronous: no promise per scalar field.
      out[name] = (...args: unknown[]) => {
        try {
          const result = resolve(...args);
          return result instanceof Promise ? result.catch(rethrowOutage) : result;
        } catch (err) {
          return rethrowOutage(err);
        }
      };
    }
    wrapped[typeName] = out as GraphQLResolverMap<TContext>[string];
  }
  return wrapped;
}

function rethrowOutage(err: unknown): never {
  if (isDatabaseUnavailable(err))
    throw userError('SERVICE_UNAVAILABLE', 'The chat database is not reachable right now; try again in a moment.');
  throw err;
}
