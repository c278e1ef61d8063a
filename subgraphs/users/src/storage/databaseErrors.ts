import { UsersPrisma } from '@chatgraph/db';
import { userError } from '@chatgraph/errors';

// Prisma codes that mean "the database could not be used right now", not "the request was wrong":
// P1001 unreachable, P1002/P1008 timed out, P1017 connection closed, P2024 no pooled connection in time,
// P2028 the transaction could not start or expired.
const UNAVAILABLE_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024', 'P2028']);
const UNAVAILABLE_KINDS = new Set([
  'DatabaseNotReachable',
  'ConnectionClosed',
  'SocketTimeout',
  'TooManyConnections',
  'TransactionAlreadyClosed',
]);
// SQLSTATE classes 08 (connection exception) and 57P (operator intervention: shutdown, restart) and 53300.
const UNAVAILABLE_SQLSTATE = /^(08...|57P..|53300)$/;
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND']);

function adapterCause(err: UsersPrisma.PrismaClientKnownRequestError): { kind?: unknown; code?: unknown } {
  const adapterError = (err.meta as { driverAdapterError?: { cause?: { kind?: unknown; code?: unknown } } } | undefined)
    ?.driverAdapterError;
  return adapterError?.cause ?? {};
}

/** True for a unique-constraint (primary key) violation. */
export function isUniqueViolation(err: unknown): boolean {
  return err instanceof UsersPrisma.PrismaClientKnownRequestError && err.code === 'P2002';
}

/** True when an update or delete found no row. */
export function isRecordNotFound(err: unknown): boolean {
  return err instanceof UsersPrisma.PrismaClientKnownRequestError && err.code === 'P2025';
}

/** True when the error says the database is unreachable or overloaded (worth a retry), not that the query is wrong. */
export function isDatabaseUnavailable(err: unknown): boolean {
  if (err instanceof UsersPrisma.PrismaClientInitializationError) return true;
  if (!(err instanceof UsersPrisma.PrismaClientKnownRequestError)) {
    // A pooled connection that died while idle surfaces as pg's own error, not wrapped by Prisma.
    if (!(err instanceof Error)) return false;
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && (NETWORK_CODES.has(code) || UNAVAILABLE_SQLSTATE.test(code))) return true;
    return /^Connection terminated/.test(err.message);
  }
  if (UNAVAILABLE_CODES.has(err.code)) return true;
  const cause = adapterCause(err);
  if (typeof cause.kind === 'string' && UNAVAILABLE_KINDS.has(cause.kind)) return true;
  return cause.kind === 'postgres' && typeof cause.code === 'string' && UNAVAILABLE_SQLSTATE.test(cause.code);
}

/**
 * Runs a database call; an outage becomes `SERVICE_UNAVAILABLE` (a client can retry; nothing was written, since a
 * failed transaction rolls back) instead of a masked internal error. Other errors pass through unchanged.
 */
export async function withDatabase<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (isDatabaseUnavailable(err))
      throw userError('SERVICE_UNAVAILABLE', 'The user database is not reachable right now; try again in a moment.');
    throw err;
  }
}
