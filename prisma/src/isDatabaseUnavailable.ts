import { Prisma } from '../generated/users/client';

// Prisma codes meaning "the database cannot be used right now", not "the request was wrong": P1001 unreachable,
// P1002/P1008 timed out, P1017 connection closed, P2024 no pooled connection in time, P2028 the transaction could not
// start or expired.
const UNAVAILABLE_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024', 'P2028']);
const UNAVAILABLE_KINDS = new Set([
  'DatabaseNotReachable',
  'ConnectionClosed',
  'SocketTimeout',
  'TooManyConnections',
  'TransactionAlreadyClosed',
]);
// SQLSTATE classes 08 (connection exception), 57P (shutdown, restart) and 53300 (too many connections).
const UNAVAILABLE_SQLSTATE = /^(08...|57P..|53300)$/;
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND']);

interface AdapterCause {
  kind?: unknown;
  code?: unknown;
  originalCode?: unknown;
}

/**
 * True when an error from a shard says the database is unreachable or overloaded (worth a retry: a failed
 * transaction wrote nothing), not that the query is wrong. Services map it to `SERVICE_UNAVAILABLE`. The Prisma error
 * classes are shared by every generated client (one runtime), so this works for users and chats alike.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  if (err instanceof Prisma.PrismaClientInitializationError) return true;
  if (err instanceof Prisma.PrismaClientKnownRequestError) {
    if (UNAVAILABLE_CODES.has(err.code)) return true;
    const cause = (err.meta as { driverAdapterError?: { cause?: AdapterCause } } | undefined)?.driverAdapterError
      ?.cause;
    if (typeof cause?.kind === 'string' && UNAVAILABLE_KINDS.has(cause.kind)) return true;
    const sqlState =
      typeof cause?.originalCode === 'string'
        ? cause.originalCode
        : cause?.kind === 'postgres'
          ? cause.code
          : undefined;
    return typeof sqlState === 'string' && UNAVAILABLE_SQLSTATE.test(sqlState);
  }
  if (!(err instanceof Error)) return false;
  // A pooled connection that died while idle surfaces as pg's own error, not wrapped by Prisma.
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || UNAVAILABLE_SQLSTATE.test(code))) return true;
  return /^Connection terminated|Can't reach database server|connect ECONNREFUSED/.test(err.message);
}
