import {
  DURATION_BUCKETS,
  LAG_BUCKETS,
  ProcessMetrics,
  RequestMetrics,
  type Histogram,
  type Labels,
} from '@chatgraph/metrics';
import { breakerValue } from '@chatgraph/service';
import type { EntityCacheStats } from '../cache/EntityCache';
import type { SharedFetchesStats } from '../upstream/SharedFetches';
import type { EngineStats } from '../subscriptions/FederatedSubscriptionEngine';

/** What the gateway's metrics read at scrape time. */
export interface GatewayState {
  engine: { stats(): EngineStats };
  /** Open WebSocket connections. */
  connections(): number;
  /** Breaker state of every subgraph replica, by subgraph and replica URL. */
  breakers(): Record<string, Record<string, 'closed' | 'open' | 'half-open'>>;
  /** The entity cache's counters; none when it is off. */
  entityCache(): EntityCacheStats | null;
  /** Shared in-flight fetches; none when sharing is off. */
  fetchSharing(): SharedFetchesStats | null;
}

/** How a subgraph fetch ended: answered, or turned into `SERVICE_UNAVAILABLE` for its fields. */
export type FetchOutcome = 'ok' | 'unavailable';

/**
 * The gateway's metrics (see docs/operations.md for each, and what to do when it moves):
 * - requests: `http_server_request_duration_seconds`, `graphql_errors_total` ({@link RequestMetrics}; operation
 *   names from the SDK's operations, any other is `other`);
 * - subgraphs: `http_client_request_duration_seconds{subgraph_name, outcome}` per fetch (HTTP queries, entity fetches,
 *   live event executions and access checks alike), `subgraph_breaker_state{subgraph_name, replica}`,
 *   `subgraph_fetches_shared_total` (query fetches answered by an identical request already in flight);
 * - live: `live_subscriptions`, `live_subscription_slots`, `live_groups`, `live_topics`, `websocket_connections`
 *   (gauges); `live_deliveries_total`, `live_event_executions_total`, `live_authorize_coalesced_total`,
 *   `live_duplicates_dropped_total`, `live_gaps_detected_total`, `live_reorder_window_expired_total`, `live_gap_repairs_total`, `live_slow_consumers_total`, `live_replays_total`;
 *   `live_commit_to_delivery_seconds`, the time from an event's commit (in the chats service) to its hand-off to
 *   each subscriber here;
 * - entity cache: `entity_cache_lookups_total{result="hit"|"miss"}`, `entity_cache_invalidations_total`,
 *   `entity_cache_flushes_total`, `entity_cache_discarded_fills_total`, `entity_cache_entries`, `entity_cache_serving`.
 *
 * Counters the engine already keeps are read at scrape time: the delivery path pays nothing for them.
 */
export class GatewayMetrics {
  readonly process: ProcessMetrics;
  readonly requests: RequestMetrics;
  private readonly fetches: Histogram<'subgraph_name' | 'outcome'>;
  private readonly lag: Histogram<never>;

  constructor(operationNames: Iterable<string>, process = new ProcessMetrics('gateway')) {
    this.process = process;
    this.requests = new RequestMetrics(process, operationNames);
    this.fetches = process.histogram(
      'http_client_request_duration_seconds',
      'Duration of fetches to subgraphs (all attempts, retries included), by subgraph and outcome.',
      ['subgraph_name', 'outcome'],
      DURATION_BUCKETS,
    );
    this.lag = process.histogram(
      'live_commit_to_delivery_seconds',
      "Time from a live event's commit to its hand-off to each subscriber.",
      [],
      LAG_BUCKETS,
    );
  }

  /** Records one subgraph fetch. */
  observeFetch(subgraph: string, seconds: number, outcome: FetchOutcome): void {
    this.fetches.observe({ subgraph_name: subgraph, outcome }, seconds);
  }

  /** Records one live event handed to `subscribers` subscribers, committed at `committedAt` (ms since the epoch). */
  observeDelivery(committedAt: number, subscribers: number): void {
    // A clock a little behind the publisher's would make the lag negative: count it as no lag at all.
    const seconds = Math.max(0, (Date.now() - committedAt) / 1000);
    for (let i = 0; i < subscribers; i++) this.lag.observe(seconds);
  }

  /** Registers the metrics read at scrape time from the gateway's parts. */
  watch(state: GatewayState): void {
    const p = this.process;
    const stats = () => state.engine.stats();
    const gauge = (name: string, help: string, read: () => number) => p.gaugeFrom(name, help, [], () => [[{}, read()]]);
    const counter = (name: string, help: string, read: () => number) =>
      p.counterFrom(name, help, [], () => [[{}, read()]]);
    gauge(
      'live_subscriptions',
      'Subscriptions authorized and attached: receiving events.',
      () => stats().liveSubscriptions,
    );
    gauge(
      'live_subscription_slots',
      'Subscriptions holding a slot (including those still being authorized).',
      () => stats().activeSubscriptions,
    );
    gauge(
      'live_groups',
      'Groups of identical subscriptions (each event is executed once per group).',
      () => stats().groups,
    );
    gauge('live_topics', 'Redis channels this gateway is subscribed to.', () => stats().topics);
    gauge('websocket_connections', 'Open WebSocket connections.', state.connections);
    counter('live_deliveries_total', 'Events handed to subscribers.', () => stats().delivered);
    counter(
      'live_event_executions_total',
      'Live events executed (once per event per group).',
      () => stats().eventExecutions,
    );
    counter(
      'live_authorize_coalesced_total',
      'Subscribes that shared an identical access check already in flight instead of asking the owner again.',
      () => stats().authorizeCoalesced,
    );
    counter(
      'live_duplicates_dropped_total',
      'Live events dropped as already delivered.',
      () => stats().duplicatesDropped,
    );
    counter(
      'live_gaps_detected_total',
      "Gaps in a subscription's seq (a publish that never arrived).",
      () => stats().gapsDetected,
    );
    counter(
      'live_reorder_window_expired_total',
      'Live events let go after waiting the reorder window for a missing seq (subscribers then repair from the log).',
      () => stats().reorderGiveUps,
    );
    counter(
      'live_gap_repairs_total',
      'Events delivered from the log to repair a gap or catch up.',
      () => stats().backfilled,
    );
    counter('live_slow_consumers_total', 'Subscriptions closed with SLOW_CONSUMER.', () => stats().slowConsumersClosed);
    counter('live_replays_total', 'Replays from the log (resume with afterSeq, gap repair).', () => stats().replays);
    counter(
      'subgraph_fetches_shared_total',
      'Query fetches answered by an identical subgraph request already in flight instead of one of their own.',
      () => state.fetchSharing()?.joined ?? 0,
    );
    const cache = () => state.entityCache();
    p.counterFrom(
      'entity_cache_lookups_total',
      'Entities looked up in the entity cache, by result (a miss is fetched from its subgraph).',
      ['result'],
      () => {
        const c = cache();
        return c
          ? [
              [{ result: 'hit' }, c.hits],
              [{ result: 'miss' }, c.misses],
            ]
          : [];
      },
    );
    counter(
      'entity_cache_invalidations_total',
      'Entity changes announced by subgraphs.',
      () => cache()?.invalidations ?? 0,
    );
    counter(
      'entity_cache_flushes_total',
      'Whole-cache flushes (the invalidation stream came back).',
      () => cache()?.flushes ?? 0,
    );
    counter(
      'entity_cache_discarded_fills_total',
      'Fetched entities not stored because a change was announced while they were in flight.',
      () => cache()?.discardedFills ?? 0,
    );
    gauge('entity_cache_entries', 'Entities in the entity cache.', () => cache()?.size ?? 0);
    gauge(
      'entity_cache_serving',
      '1 while the entity cache serves (its invalidation stream is subscribed), else 0.',
      () => (cache()?.active ? 1 : 0),
    );
    p.gaugeFrom(
      'subgraph_breaker_state',
      "A subgraph replica's circuit breaker: 0 closed, 1 half-open, 2 open (the replica is ejected).",
      ['subgraph_name', 'replica'],
      () => {
        const series: Array<[Labels<'subgraph_name' | 'replica'>, number]> = [];
        for (const [subgraph, replicas] of Object.entries(state.breakers()))
          for (const [replica, s] of Object.entries(replicas))
            series.push([{ subgraph_name: subgraph, replica }, breakerValue(s)]);
        return series;
      },
    );
  }
}
