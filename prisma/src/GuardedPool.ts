import {
  BrokenCircuitError,
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  handleAll,
  type CircuitBreakerPolicy,
} from 'cockatiel';
import { Pool, type PoolClient, type PoolConfig } from 'pg';

/** Refusal of a shard whose breaker is open: it failed to give connections, and is given time to come back. */
export class ShardUnavailableError extends Error {
  constructor(readonly database: string) {
    super(`The database ${database} is unavailable (its circuit breaker is open); retry shortly.`);
    this.name = 'ShardUnavailableError';
  }
}

/**
 * Whether a connection released with `err` may go back to the pool: the statement failed on the server (a constraint,
 * a conflict: severity ERROR, not a connection or shutdown class) and left the session idle, outside any transaction.
 */
function reusableAfter(client: PoolClient, err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const { severity, code } = err as { severity?: unknown; code?: unknown };
  return (
    severity === 'ERROR' &&
    typeof code === 'string' &&
    !code.startsWith('08') &&
    !code.startsWith('57') &&
    client.getTransactionStatus() === 'I'
  );
}

/**
 * `pg-pool` closes a connection released with an error, and `pool.query` releases with the statement's error whatever
 * it was: every unique violation (an idempotent retry of a send, a taken username) cost a new connection and its
 * prepared statements. This checkout's release keeps the connection when the error was the statement's own and the
 * session is idle ({@link reusableAfter}); a broken connection, or one left inside a transaction, still goes.
 */
function keepAfterStatementErrors(client: PoolClient): PoolClient {
  const release = client.release;
  client.release = (err?: Error | boolean) => release.call(client, reusableAfter(client, err) ? undefined : err);
  return client;
}

/** When a shard's breaker opens and when it is tried again. */
export interface ShardBreakerOptions {
  /** Consecutive failures to get a connection that open the breaker. @default 3 */
  failures: number;
  /** How long it stays open before one connection attempt is let through. @default 1000 */
  halfOpenAfterMs: number;
}

/**
 * A `pg` pool with a circuit breaker (cockatiel) in front of getting a connection: when a shard's server refuses or
 * times out `failures` times in a row, every request for that shard fails at once with {@link ShardUnavailableError}
 * (mapped to `SERVICE_UNAVAILABLE`) instead of waiting for a connect timeout each, so a down shard costs nothing to
 * the chats and users on other shards; after `halfOpenAfterMs` one attempt is let through and a success closes it.
 * Prisma's adapter and `pool.query` both get connections through `connect`, so everything on the shard is covered.
 */
export class GuardedPool extends Pool {
  readonly breaker: CircuitBreakerPolicy;

  constructor(
    config: PoolConfig,
    private readonly database: string,
    options: ShardBreakerOptions,
  ) {
    super(config);
    this.breaker = circuitBreaker(handleAll, {
      breaker: new ConsecutiveBreaker(options.failures),
      halfOpenAfter: options.halfOpenAfterMs,
    });
  }

  /** `closed`, `open` or `half-open`. */
  get breakerState(): 'closed' | 'open' | 'half-open' {
    const state = this.breaker.state;
    return state === CircuitState.Closed ? 'closed' : state === CircuitState.HalfOpen ? 'half-open' : 'open';
  }

  override connect(): Promise<PoolClient>;
  override connect(
    callback: (err: Error | undefined, client: PoolClient | undefined, done: (release?: unknown) => void) => void,
  ): void;
  override connect(
    callback?: (err: Error | undefined, client: PoolClient | undefined, done: (release?: unknown) => void) => void,
  ): Promise<PoolClient> | void {
    const connected = this.breaker
      .execute(() => super.connect())
      .then(keepAfterStatementErrors)
      .catch((err: unknown) => {
        if (err instanceof BrokenCircuitError) throw new ShardUnavailableError(this.database);
        throw err;
      });
    if (!callback) return connected;
    connected.then(
      (client) => callback(undefined, client, (release) => client.release(release as boolean | Error | undefined)),
      (err: Error) => callback(err, undefined, () => undefined),
    );
  }
}

/**
 * The pool of one shard on one server: a {@link GuardedPool} whose connections tell `onStatement` of every statement
 * they run (the shard's statement counts, the replica reads' write tracking), and whose connection failures never end
 * the process (a failed checked-out connection is reported to its query and dropped on release; an idle one is
 * replaced).
 */
export function openShardPool(
  config: Pick<PoolConfig, 'connectionString' | 'max' | 'connectionTimeoutMillis'>,
  database: string,
  breaker: ShardBreakerOptions,
  onStatement: (statement: unknown) => void,
): GuardedPool {
  const pool = new GuardedPool({ ...config, idleTimeoutMillis: 30_000 }, database, breaker);
  pool.on('connect', (client) => {
    client.on('error', () => undefined);
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
      onStatement(args[0]);
      return query(...args);
    };
  });
  pool.on('error', () => undefined);
  return pool;
}
