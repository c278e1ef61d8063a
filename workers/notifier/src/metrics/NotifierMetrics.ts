import type { ChannelWrapper } from 'amqp-connection-manager';
import { ProcessMetrics, type Counter, type Labels } from '@chatgraph/metrics';
import type { Logger } from '@chatgraph/logging';
import type { ConsumerStats } from '../amqp/QueueConsumer';
import type { ShardRelayStatus } from '../relay/ShardRelay';
import type { WebhookOutcome } from '../webhooks/DeliveryHandler';

/** What the notifier's metrics read at scrape time. */
export interface NotifierState {
  consumers: ReadonlyArray<{ queue: string; stats: ConsumerStats }>;
  relays: ReadonlyArray<{ status(): ShardRelayStatus }>;
  /** Queues whose depth is read from the broker at each scrape (work queues and their dead-letter queues). */
  queues: readonly string[];
  /** A channel to ask the broker for queue depths. */
  channel: ChannelWrapper;
  connected(): boolean;
  logger: Logger;
}

/**
 * The notifier's metrics (see docs/operations.md):
 * - `queue_messages_total{queue, outcome="handled"|"retried"|"dead_lettered"}`, `queue_messages_in_flight{queue}`;
 * - `rabbitmq_queue_messages{queue}`: messages ready in each queue, asked from the broker at scrape time (a DLQ
 *   that grows needs a look; `npm run dlq` replays it);
 * - `relay_events_published_total{shard}`, `relay_active{shard}` (1 where this process holds the shard's lock);
 * - `relay_reads_total{shard}` and, of those, `relay_held_back_reads_total{shard}`: reads that found committed events
 *   waiting behind an open transaction (a steady rate of these is a transaction left open somewhere on the server);
 * - `webhook_deliveries_total{outcome="delivered"|"retry"|"dead"|"gone"}`;
 * - `notifier_block_lookups_total{result="hit"|"miss"}`: block answers per recipient, from the cache or asked;
 * - `rabbitmq_connected` (0 while RabbitMQ is unreachable).
 */
export class NotifierMetrics {
  readonly process = new ProcessMetrics('notifier');
  private readonly webhooks: Counter<'outcome'>;
  private readonly blockLookups: Counter<'result'>;

  constructor() {
    this.webhooks = this.process.counter('webhook_deliveries_total', 'Webhook delivery attempts, by outcome.', [
      'outcome',
    ]);
    this.blockLookups = this.process.counter(
      'notifier_block_lookups_total',
      'Block answers the inbox needed, per recipient: from the cache (hit) or asked of the users service (miss).',
      ['result'],
    );
  }

  /** Records where one block answer came from. */
  blockLookup(result: 'hit' | 'miss'): void {
    this.blockLookups.inc({ result });
  }

  /** Records how one webhook delivery attempt ended. */
  webhookOutcome(outcome: WebhookOutcome): void {
    this.webhooks.inc({ outcome });
  }

  /** Registers the metrics read at scrape time. */
  watch(state: NotifierState): void {
    const p = this.process;
    p.counterFrom('queue_messages_total', 'Messages consumed, by queue and outcome.', ['queue', 'outcome'], () =>
      state.consumers.flatMap(({ queue, stats }) => [
        [{ queue, outcome: 'handled' }, stats.handled] as const,
        [{ queue, outcome: 'retried' }, stats.retried] as const,
        [{ queue, outcome: 'dead_lettered' }, stats.deadLettered] as const,
      ]),
    );
    p.gaugeFrom('queue_messages_in_flight', 'Messages being handled, by queue.', ['queue'], () =>
      state.consumers.map(({ queue, stats }) => [{ queue }, stats.inFlight]),
    );
    p.counterFrom('relay_events_published_total', 'Chat events relayed to RabbitMQ, by shard.', ['shard'], () =>
      state.relays.map((r) => {
        const s = r.status();
        return [{ shard: s.shard }, s.published];
      }),
    );
    p.counterFrom('relay_reads_total', "Reads of a shard's event log by the relay, by shard.", ['shard'], () =>
      state.relays.map((r) => {
        const s = r.status();
        return [{ shard: s.shard }, s.reads];
      }),
    );
    p.counterFrom(
      'relay_held_back_reads_total',
      'Relay reads that found committed events held back behind an open transaction, by shard.',
      ['shard'],
      () =>
        state.relays.map((r) => {
          const s = r.status();
          return [{ shard: s.shard }, s.heldBackReads];
        }),
    );
    p.gaugeFrom('relay_active', '1 where this process relays the shard (holds its lock).', ['shard'], () =>
      state.relays.map((r) => {
        const s = r.status();
        return [{ shard: s.shard }, s.active ? 1 : 0];
      }),
    );
    p.gaugeFrom('rabbitmq_connected', '1 while connected to RabbitMQ.', [], () => [[{}, state.connected() ? 1 : 0]]);
    p.gaugeFromAsync(
      'rabbitmq_queue_messages',
      'Messages ready in a queue (asked from the broker).',
      ['queue'],
      async () => {
        if (!state.connected()) return [];
        const series: Array<[Labels<'queue'>, number]> = [];
        for (const queue of state.queues) {
          try {
            const { messageCount } = await state.channel.checkQueue(queue);
            series.push([{ queue }, messageCount]);
          } catch (err) {
            state.logger.debug({ queue, err: (err as Error).message }, 'queue depth unavailable');
          }
        }
        return series;
      },
    );
  }
}
