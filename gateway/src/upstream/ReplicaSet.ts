import { createHash } from 'node:crypto';
import { CircuitState, ConsecutiveBreaker, circuitBreaker, handleWhen, type CircuitBreakerPolicy } from 'cockatiel';

/** How requests are spread over a subgraph's replicas. */
export type BalancingStrategy = 'round-robin' | 'least-outstanding' | 'consistent-hash';

/** When a replica is taken out of rotation and when it is tried again. */
export interface BreakerOptions {
  /** Consecutive failures (no answer, timeout, 5xx) that open the breaker. @default 5 */
  failures: number;
  /** How long an open breaker waits before letting one probe request through (half-open). @default 2000 */
  halfOpenAfterMs: number;
}

/** A failure that counts against a replica's health: it did not answer, answered too late, or answered 5xx. */
export class ReplicaFailure extends Error {
  constructor(
    readonly replica: string,
    readonly reason: 'unreachable' | 'timeout' | 'status',
    detail: string,
    /** The HTTP status, for `status`. */
    readonly status?: number,
  ) {
    super(`${replica}: ${detail}`);
    this.name = 'ReplicaFailure';
  }
}

/** One replica of a subgraph: its URL, its breaker and the requests in flight to it. */
export interface Replica {
  readonly url: string;
  readonly breaker: CircuitBreakerPolicy;
  outstanding: number;
  /** When its breaker opened (null while closed): a probe is due `halfOpenAfterMs` later. */
  ejectedAt: number | null;
}

/**
 * The replicas of one subgraph and the choice among them. Each replica has a circuit breaker (cockatiel): after
 * `failures` consecutive failures it is ejected, after `halfOpenAfterMs` one probe request may go to it, and a success
 * puts it back. `pick` only offers replicas whose breaker is not open, by the configured strategy:
 * - `round-robin`: in turn;
 * - `least-outstanding`: the one with the fewest requests in flight (ties in turn);
 * - `consistent-hash`: by a key (the user, or the client address), rendezvous hashing over the healthy replicas, so a
 *   user sticks to one replica and an ejected replica moves only its own users.
 */
export class ReplicaSet {
  readonly replicas: Replica[];
  private turn = 0;

  constructor(
    urls: readonly string[],
    private readonly strategy: BalancingStrategy,
    private readonly breakerOptions: BreakerOptions,
    private readonly now: () => number = Date.now,
  ) {
    if (urls.length === 0) throw new Error('a subgraph needs at least one replica URL');
    this.replicas = urls.map((url) => {
      const replica: Replica = {
        url,
        outstanding: 0,
        ejectedAt: null,
        breaker: circuitBreaker(
          handleWhen((err) => err instanceof ReplicaFailure),
          { breaker: new ConsecutiveBreaker(breakerOptions.failures), halfOpenAfter: breakerOptions.halfOpenAfterMs },
        ),
      };
      replica.breaker.onBreak(() => (replica.ejectedAt = this.now()));
      replica.breaker.onReset(() => (replica.ejectedAt = null));
      return replica;
    });
  }

  /**
   * Replicas in the order to try them for one request (`exclude`: already tried; `mayProbe`: the request may be sent
   * again elsewhere, so it may serve as an ejected replica's probe). Ejected replicas stay in the list:
   * their breaker refuses at once without a network call, and lets the first request after `halfOpenAfterMs` through
   * as the probe (cockatiel moves an open breaker to half-open when it is asked to run something).
   */
  candidates(key: string | null, exclude: ReadonlySet<Replica> = new Set(), mayProbe = true): Replica[] {
    const open = this.replicas.filter((r) => !exclude.has(r));
    if (open.length <= 1) return open;
    let ordered: Replica[];
    switch (this.strategy) {
      case 'consistent-hash':
        ordered = key !== null ? open.sort((a, b) => weight(b.url, key) - weight(a.url, key)) : this.inTurn(open);
        break;
      case 'least-outstanding':
        ordered = this.inTurn(open).sort((a, b) => a.outstanding - b.outstanding);
        break;
      default:
        ordered = this.inTurn(open);
    }
    // An ejected replica due for its probe first (a real request that may be retried elsewhere is the probe; never a
    // mutation), then the healthy ones, then the ejected ones (stable: the strategy's order is kept within each part).
    return ordered.sort((a, b) => this.rank(a, mayProbe) - this.rank(b, mayProbe));
  }

  /** Breaker states by replica URL (`closed`, `open`, `half-open`), for metrics and `/ready`. */
  states(): Record<string, 'closed' | 'open' | 'half-open'> {
    return Object.fromEntries(
      this.replicas.map((r) => [
        r.url,
        r.breaker.state === CircuitState.Closed
          ? 'closed'
          : r.breaker.state === CircuitState.HalfOpen
            ? 'half-open'
            : 'open',
      ]),
    );
  }

  private rank(replica: Replica, mayProbe: boolean): number {
    const state = replica.breaker.state;
    if (state === CircuitState.Closed) return 1;
    const due =
      state === CircuitState.Open &&
      replica.ejectedAt !== null &&
      this.now() - replica.ejectedAt >= this.breakerOptions.halfOpenAfterMs;
    return due && mayProbe ? 0 : 2;
  }

  private inTurn(replicas: Replica[]): Replica[] {
    const start = this.turn++ % replicas.length;
    return [...replicas.slice(start), ...replicas.slice(0, start)];
  }
}

/** Rendezvous (highest random weight) hashing: the replica with the highest weight for a key serves it. */
function weight(replica: string, key: string): number {
  return createHash('sha1').update(`${replica}\u0000${key}`).digest().readUInt32BE(0);
}
