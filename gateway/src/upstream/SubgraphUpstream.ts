import http from 'node:http';
import https from 'node:https';
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
  agent: http.Agent;
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
  /** Each replica's request target, parsed once (a URL given to `http.request` is converted on every call). */
  private readonly targets = new Map<
    Replica,
    { transport: typeof http | typeof https; options: http.RequestOptions }
  >();

  constructor(private readonly options: SubgraphUpstreamOptions) {
    this.replicas = new ReplicaSet(options.urls, options.strategy, options.breaker);
    for (const r of this.replicas.replicas) {
      const url = new URL(r.url);
      this.targets.set(r, {
        transport: url.protocol === 'https:' ? https : http,
        options: {
          protocol: url.protocol,
          hostname: url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname,
          port: url.port || undefined,
          path: `${url.pathname}${url.search}`,
          method: 'POST',
          agent: options.agent,
          timeout: options.timeoutMs,
        },
      });
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

  private post(replica: Replica, request: UpstreamRequest): Promise<UpstreamResponse> {
    const { transport, options } = this.targets.get(replica)!;
    return new Promise((resolve, reject) => {
      const req = transport.request(
        { ...options, headers: { ...request.headers, 'content-length': Buffer.byteLength(request.body) } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            const text = Buffer.concat(chunks).toString('utf8');
            if (status >= 500) reject(new ReplicaFailure(replica.url, 'status', `answered HTTP ${status}`, status));
            else resolve({ status, text });
          });
          res.on('error', (err) => reject(new ReplicaFailure(replica.url, 'unreachable', err.message)));
        },
      );
      req.on('timeout', () =>
        req.destroy(new ReplicaFailure(replica.url, 'timeout', `no answer within ${this.options.timeoutMs} ms`)),
      );
      req.on('error', (err) =>
        reject(err instanceof ReplicaFailure ? err : new ReplicaFailure(replica.url, 'unreachable', err.message)),
      );
      req.end(request.body);
    });
  }
}
