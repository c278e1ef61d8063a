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
