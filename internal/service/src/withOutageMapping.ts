import { GraphQLScalarType } from 'graphql';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { mapOutage } from './mapOutage';

/**
 * Wraps every resolver of a map (entity references included) so that an outage of a backing store reaches the
 * client as `SERVICE_UNAVAILABLE` through {@link mapOutage}, whichever store call or DataLoader raised it; other
 * errors pass through unchanged. Synchronous resolvers stay synchronous: no promise per scalar field.
 */
export function withOutageMapping<TContext>(
  resolvers: GraphQLResolverMap<TContext>,
  service: string,
): GraphQLResolverMap<TContext> {
  const rethrow = (err: unknown): never => {
    throw mapOutage(err, service);
  };
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
      out[name] = (...args: unknown[]) => {
        try {
          const result = resolve(...args);
          return result instanceof Promise ? result.catch(rethrow) : result;
        } catch (err) {
          return rethrow(err);
        }
      };
    }
    wrapped[typeName] = out as GraphQLResolverMap<TContext>[string];
  }
  return wrapped;
}
