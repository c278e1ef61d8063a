import { errors as undiciErrors, type Dispatcher } from 'undici';
import {
  BrokenCircuitError,
  bulkhead,
  BulkheadRejectedError,
  IsolatedCircuitError,
  type BulkheadPolicy,
} from 'cockatiel';
import { ReplicaFailure, ReplicaSet, type BalancingStrategy, type BreakerOptions, type Replica } from './ReplicaSet';

/** Options of {@link SubgraphUpstream}. */
export interface SubgraphUpstreamOptions {
  name: string;
  /** Every replica's `/graphql` URL. */
  urls: readonly string[];
  strategy: BalancingStrategy;
  breaker: BreakerOptions;
  /** Time limit of one attempt. @default 5000 */
  timeoutMs: number;
  /** Requests in flight to this subgraph (all replicas) at most; more wait in a queue. @default 256 */
  maxConcurrent: number;
  /** Requests waiting for a slot at most; beyond, fail fast. @default 1024 */
  maxQueued: number;
  /** The HTTP client's connection pools, shared by every subgraph (undici: keep-alive, one pool per origin). */
  dispatcher: Dispatcher;
}

/** What one request is. */
export interface UpstreamRequest {
  body: string;
  headers: Record<string, string>;
  /** Safe to send again to another replica (a query). Mutations are sent once. */
  idempotent: boolean;
  /** Key for `consistent-hash` balancing (the user, else the client address). */
  key: string | null;
}

/** A subgraph's answer: its HTTP status and body. */
export interface UpstreamResponse {
  status: number;
  text: string;
}

/** The subgraph could not answer: every replica ejected, all busy, or the attempt failed. */
export class UpstreamUnavailable extends Error {
  constructor(
    readonly subgraph: string,
    detail: string,
  ) {
    super(`${subgraph}: ${detail}`);
    this.name = 'UpstreamUnavailable';
  }
}

/**
 * The gateway's way to one subgraph: a bulkhead bounds the requests in flight, the replica set picks a healthy replica
 * (breaker per replica), each attempt has a time limit, and a query whose replica did not answer (connection refused
 * or reset, or HTTP 503) is retried once per other healthy replica. Mutations are never retried: a request that may
 * have reached a subgraph is not sent twice. Everything that fails ends as {@link UpstreamUnavailable}, which the data
 * source turns into `SERVICE_UNAVAILABLE` for this subgraph's fields only.
 */
export class SubgraphUpstream {
  readonly replicas: ReplicaSet;
  private readonly bulkhead: BulkheadPolicy;
  /** Each replica's origin and path, parsed once. */
  private readonly targets = new Map<Replica, { origin: string; path: string }>();

  constructor(private readonly options: SubgraphUpstreamOptions) {
    this.replicas = new ReplicaSet(options.urls, options.strategy, options.breaker);
    for (const r of this.replicas.replicas) {
      const url = new URL(r.url);
      this.targets.set(r, { origin: url.origin, path: `${url.pathname}${url.search}` });
    }
    this.bulkhead = bulkhead(options.maxConcurrent, options.maxQueued);
  }

  /** Sends one request; resolves with the first answer, or rejects with {@link UpstreamUnavailable}. */
  async send(request: UpstreamRequest): Promise<UpstreamResponse> {
    try {
      return await this.bulkhead.execute(() => this.attempt(request));
    } catch (err) {
      if (err instanceof UpstreamUnavailable) throw err;
      if (err instanceof BulkheadRejectedError)
        throw new UpstreamUnavailable(this.options.name, 'too many requests in flight (bulkhead full)');
      throw new UpstreamUnavailable(this.options.name, (err as Error).message);
    }
  }

  private async attempt(request: UpstreamRequest): Promise<UpstreamResponse> {
    const tried = new Set<Replica>();
    let last = 'every replica is ejected (its breaker is open)';
    for (;;) {
      const replica = this.replicas.candidates(request.key, tried, request.idempotent)[0];
      if (!replica) throw new UpstreamUnavailable(this.options.name, last);
      tried.add(replica);
      replica.outstanding++;
      try {
        return await replica.breaker.execute(() => this.post(replica, request));
      } catch (err) {
        // A half-open breaker lets one probe through at a time: the others move on to the next replica.
        if (err instanceof BrokenCircuitError || err instanceof IsolatedCircuitError) {
          last = `${replica.url}: ejected`;
          continue;
        }
        if (!(err instanceof ReplicaFailure)) throw err;
        last = err.message;
        const notReached = err.reason === 'unreachable' || (err.reason === 'status' && err.status === 503);
        if (!request.idempotent || !notReached) throw new UpstreamUnavailable(this.options.name, last);
      } finally {
        replica.outstanding--;
      }
    }
  }

  /**
   * One POST to one replica. The time limit covers the wait for the answer's headers and each pause in its body. Any
   * failure to get an answer is `unreachable` (a query may then go to another replica); a 5xx is a failure too.
   */
  private async post(replica: Replica, request: UpstreamRequest): Promise<UpstreamResponse> {
    const { origin, path } = this.targets.get(replica)!;
    const timeoutMs = this.options.timeoutMs;
    let status: number;
    let text: string;
    try {
      const response = await this.options.dispatcher.request({
        origin,
        path,
        method: 'POST',
        headers: request.headers,
        body: request.body,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      status = response.statusCode;
      text = await response.body.text();
    } catch (err) {
      // A request undici refuses to send (a header it cannot write) is our bug, not the replica's.
      if (err instanceof undiciErrors.InvalidArgumentError) throw err;
      if (err instanceof undiciErrors.HeadersTimeoutError || err instanceof undiciErrors.BodyTimeoutError)
        throw new ReplicaFailure(replica.url, 'timeout', `no answer within ${timeoutMs} ms`);
      // Refused, reset, or not connected within the time limit (nothing was sent: a query may go elsewhere).
      throw new ReplicaFailure(replica.url, 'unreachable', (err as Error).message);
    }
    if (status >= 500) throw new ReplicaFailure(replica.url, 'status', `answered HTTP ${status}`, status);
    return { status, text };
  }
}
