import { GraphQLScalarType } from 'graphql';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { ChatsPrisma } from '@chatgraph/db';
import { userError } from '@chatgraph/errors';
import { driverError } from '../storage/dbErrors';

// Prisma codes meaning "the database cannot be used right now": unreachable, timed out, connection closed, no pooled
// connection in time, transaction could not start or expired.
const UNAVAILABLE_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024', 'P2028']);
const UNAVAILABLE_KINDS = new Set([
  'DatabaseNotReachable',
  'ConnectionClosed',
  'SocketTimeout',
  'TooManyConnections',
  'TransactionAlreadyClosed',
]);
// SQLSTATE 08xxx (connection exception), 57Pxx (shutdown, restart), 53300 (too many connections).
const UNAVAILABLE_SQLSTATE = /^(08...|57P..|53300)$/;
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND']);

/** True when `err` says a chats shard is unreachable or overloaded (worth a retry), not that the request is wrong. */
export function isDatabaseUnavailable(err: unknown): boolean {
  if (err instanceof ChatsPrisma.PrismaClientInitializationError) return true;
  if (err instanceof ChatsPrisma.PrismaClientKnownRequestError) {
    if (UNAVAILABLE_CODES.has(err.code)) return true;
    const cause = (err.meta as { driverAdapterError?: { cause?: { kind?: unknown } } } | undefined)?.driverAdapterError
      ?.cause;
    if (typeof cause?.kind === 'string' && UNAVAILABLE_KINDS.has(cause.kind)) return true;
    const sqlState = driverError(err)?.code;
    return sqlState !== undefined && UNAVAILABLE_SQLSTATE.test(sqlState);
  }
  if (!(err instanceof Error)) return false;
  // A pooled connection that died while idle surfaces as pg's own error, not wrapped by Prisma.
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || UNAVAILABLE_SQLSTATE.test(code))) return true;
  return /^Connection terminated|Can't reach database server|connect ECONNREFUSED/.test(err.message);
}

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
