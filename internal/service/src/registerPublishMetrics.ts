import type { ProcessMetrics } from '@chatgraph/metrics';

/** Publish totals as a `RedisEventBus` keeps them (`bus.stats`). */
export interface PublishTotals {
  stats: { published: number; failed: number };
}

/**
 * `pubsub_publishes_total{outcome="ok"|"failed"}`: events published on Redis pub/sub, and publishes Redis did not take
 * (an outage: live subscribers repair the gap from the log).
 */
export function registerPublishMetrics(metrics: ProcessMetrics, bus: PublishTotals): void {
  metrics.counterFrom('pubsub_publishes_total', 'Publishes on Redis pub/sub, by outcome.', ['outcome'], () => [
    [{ outcome: 'ok' }, bus.stats.published],
    [{ outcome: 'failed' }, bus.stats.failed],
  ]);
}
