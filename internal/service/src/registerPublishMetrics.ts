import type { ProcessMetrics } from '@chatgraph/metrics';

/** Publish totals as a `RedisEventBus` keeps them (`bus.stats`). */
export interface PublishTotals {
  stats: { published: number; failed: number };
}

/** What a `Reannouncer` shows: the refused announcements still pending, and its totals. */
export interface Reannouncing {
  pending: number;
  stats: { reannounced: number; dropped: number };
}

/**
 * `pubsub_publishes_total{outcome="ok"|"failed"}`: events published on Redis pub/sub, and publishes Redis did not take
 * (an outage: live subscribers repair the gap from the log); with a `reannouncer`, also
 * `pubsub_reannounce_pending` and `pubsub_reannounced_total{outcome}`.
 */
export function registerPublishMetrics(metrics: ProcessMetrics, bus: PublishTotals, reannouncer?: Reannouncing): void {
  metrics.counterFrom('pubsub_publishes_total', 'Publishes on Redis pub/sub, by outcome.', ['outcome'], () => [
    [{ outcome: 'ok' }, bus.stats.published],
    [{ outcome: 'failed' }, bus.stats.failed],
  ]);
  if (reannouncer) registerReannounceMetrics(metrics, reannouncer);
}

/** `pubsub_reannounce_pending` and `pubsub_reannounced_total{outcome}` of a `Reannouncer`. */
export function registerReannounceMetrics(metrics: ProcessMetrics, reannouncer: Reannouncing): void {
  metrics.gaugeFrom(
    'pubsub_reannounce_pending',
    'Announcements of committed changes Redis refused, waiting to be published again.',
    [],
    () => [[{}, reannouncer.pending]],
  );
  metrics.counterFrom(
    'pubsub_reannounced_total',
    'Announcements published again after Redis refused them (reannounced), or dropped at the pending cap (dropped).',
    ['outcome'],
    () => [
      [{ outcome: 'reannounced' }, reannouncer.stats.reannounced],
      [{ outcome: 'dropped' }, reannouncer.stats.dropped],
    ],
  );
}
