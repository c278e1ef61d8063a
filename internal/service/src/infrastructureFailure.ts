import { postgresError } from './postgresError';

/** Which dependency failed: a Postgres database, Redis, or a connection whose other end is not known. */
export type InfrastructureFailure = 'postgres' | 'redis' | 'network';

// SQLSTATEs meaning "the database cannot serve you right now", not "your statement is wrong". Class 08 is every
// connection exception; 57P01/57P02/57P03 are admin shutdown, crash shutdown and "cannot connect now" (starting up,
// shutting down); 57014 is a statement cancelled (by statement_timeout or an operator); 53300 too many connections.
// 25006: a write on a read-only database — a shard being moved (`shards:move` fences its old home read-only), for
// a process that has not heard of the move yet; it is retried once the new placement is announced.
const UNAVAILABLE_SQLSTATES = new Set(['53300', '57P01', '57P02', '57P03', '57014', '25006']);
// 55000 (object not in prerequisite state) is mostly a real error, except for a database that refuses connections
// (ALLOW_CONNECTIONS false, being dropped or shutting down).
const REFUSING_CONNECTIONS = /not (currently )?accepting connections|shutting down/i;

// Prisma's own codes for the same: P1001 unreachable, P1002/P1008 timed out, P1017 connection closed, P2024 no pooled
// connection in time, P2028 a transaction that could not start or expired.
const UNAVAILABLE_PRISMA_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024', 'P2028']);
// ...and the kinds its pg driver adapter maps socket errors and 53300 to.
const UNAVAILABLE_ADAPTER_KINDS = new Set([
  'DatabaseNotReachable',
  'ConnectionClosed',
  'SocketTimeout',
  'TooManyConnections',
  'TransactionAlreadyClosed',
]);
// Errors pg and pg-pool raise themselves when a connection dies or cannot be had (no SQLSTATE).
const PG_CONNECTION_MESSAGES =
  /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Can't reach database server)/;

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

// ioredis, when the connection is down, hung or gone (offline queue off, a command timeout, retries exhausted), and
// its Cluster client when no node (or not the one serving the slot, during a failover) can be reached.
const REDIS_CONNECTION_MESSAGES =
  /^(Connection is closed\.|Stream isn't writeable|Command timed out|Cluster isn't ready|Too many Cluster redirections|None of startup nodes is available|Failed to refresh slots cache)/;
// Replies with which Redis says "not now" rather than "your command is wrong".
const REDIS_TRANSIENT_REPLIES = /^(LOADING|READONLY|MASTERDOWN|BUSY|TRYAGAIN|CLUSTERDOWN|NOREPLICAS|OOM)\b/;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function classifyOne(err: Record<string, unknown>): InfrastructureFailure | null {
  const name = typeof err.name === 'string' ? err.name : '';
  const code = typeof err.code === 'string' ? err.code : '';
  const message = typeof err.message === 'string' ? err.message : '';

  const pg = postgresError(err);
  if (pg) {
    if (pg.code.startsWith('08') || UNAVAILABLE_SQLSTATES.has(pg.code)) return 'postgres';
    if (pg.code === '55000' && REFUSING_CONNECTIONS.test(pg.message)) return 'postgres';
    return null;
  }
  // A shard whose circuit breaker is open (prisma/src/GuardedPool) refuses at once.
  if (name === 'ShardUnavailableError' || name === 'ShardFencedError') return 'postgres';
  if (name === 'PrismaClientInitializationError' || UNAVAILABLE_PRISMA_CODES.has(code)) return 'postgres';
  const adapterError = isObject(err.meta) ? err.meta.driverAdapterError : undefined;
  const adapterCause = isObject(adapterError) ? adapterError.cause : name === 'DriverAdapterError' ? err.cause : null;
  if (
    isObject(adapterCause) &&
    typeof adapterCause.kind === 'string' &&
    UNAVAILABLE_ADAPTER_KINDS.has(adapterCause.kind)
  )
    return 'postgres';
  if (PG_CONNECTION_MESSAGES.test(message)) return 'postgres';

  if (name === 'MaxRetriesPerRequestError' || REDIS_CONNECTION_MESSAGES.test(message)) return 'redis';
  if (name === 'ReplyError') return REDIS_TRANSIENT_REPLIES.test(message) ? 'redis' : null;

  if (NETWORK_CODES.has(code)) return 'network';
  return null;
}

/**
 * Which dependency an error says is unreachable, overloaded or going away, or null when the error is about the
 * request itself (a bad statement, a constraint, a bug). Understands pg and pg-pool errors, Prisma's errors around
 * them (by shape: no Prisma import), ioredis errors and bare socket errors, and looks through `cause` and
 * `AggregateError` (Node's connect to several addresses).
 */
export function infrastructureFailure(err: unknown, depth = 0): InfrastructureFailure | null {
  if (!isObject(err) || depth > 3) return null;
  const own = classifyOne(err);
  if (own) return own;
  if (Array.isArray(err.errors)) {
    for (const inner of err.errors) {
      const found = infrastructureFailure(inner, depth + 1);
      if (found) return found;
    }
  }
  return infrastructureFailure(err.cause, depth + 1);
}
