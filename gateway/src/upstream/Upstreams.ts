import type { Dispatcher } from 'undici';
import type { BalancingStrategy, BreakerOptions } from './ReplicaSet';
import { SubgraphUpstream } from './SubgraphUpstream';

/** Settings every subgraph's upstream shares. */
export interface UpstreamSettings {
  strategy: BalancingStrategy;
  breaker: BreakerOptions;
  timeoutMs: number;
  maxConcurrent: number;
  maxQueued: number;
  dispatcher: Dispatcher;
}

/**
 * One {@link SubgraphUpstream} per subgraph for the whole gateway process: the HTTP side (ApolloGateway) and the live
 * side (the subscription engine) share its breakers and counters, and a supergraph reload keeps them.
 */
export class Upstreams {
  private readonly byName = new Map<string, SubgraphUpstream>();

  constructor(
    private readonly settings: UpstreamSettings,
    /** The replica URLs of a subgraph (from the configuration, else the supergraph's URL). */
    private readonly replicaUrls: (name: string, fallback: string | undefined) => string[],
  ) {}

  /** The upstream of subgraph `name`, made on first use. */
  get(name: string, fallbackUrl: string | undefined): SubgraphUpstream {
    let upstream = this.byName.get(name);
    if (!upstream) {
      upstream = new SubgraphUpstream({ name, urls: this.replicaUrls(name, fallbackUrl), ...this.settings });
      this.byName.set(name, upstream);
    }
    return upstream;
  }

  /** Breaker state of every replica, by subgraph. */
  states(): Record<string, Record<string, 'closed' | 'open' | 'half-open'>> {
    return Object.fromEntries([...this.byName].map(([name, u]) => [name, u.replicas.states()]));
  }
}
