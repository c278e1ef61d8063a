import type { ChannelWrapper } from 'amqp-connection-manager';
import type { WebhookDeliveryLog } from '@chatgraph/notifications';
import type { Logger } from '@chatgraph/logging';
import type { WorkQueue } from '../amqp/Topology';
import type { DeliveryJob } from './DeliveryJob';

/** Options of {@link RedeliveryScanner}. */
export interface RedeliveryScannerOptions {
  log: WebhookDeliveryLog;
  /** How many notifications shards there are (each is scanned). */
  shards: number;
  publisher: ChannelWrapper;
  workExchange: string;
  queue: WorkQueue;
  pollMs: number;
  logger: Logger;
}

/** Most redeliveries taken from one shard per scan. */
const BATCH = 200;

/**
 * Queues the deliveries someone asked to redeliver (`redeliverWebhookDelivery` marks the row; the subgraph has no
 * broker connection): every `pollMs` each shard's marked rows are locked, published (confirmed) as new jobs with a
 * fresh retry schedule, and unmarked, in one transaction; notifiers share the rows (`SKIP LOCKED`).
 */
export class RedeliveryScanner {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly options: RedeliveryScannerOptions) {}

  start(): void {
    const tick = () => {
      if (this.stopped) return;
      this.running = this.scan().finally(() => {
        if (!this.stopped) this.timer = setTimeout(tick, this.options.pollMs);
      });
    };
    this.timer = setTimeout(tick, this.options.pollMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private async scan(): Promise<void> {
    const { log, shards, publisher, workExchange, queue, logger } = this.options;
    for (let shard = 0; shard < shards; shard++) {
      try {
        await log.takeRedeliveries(shard, BATCH, async (deliveries) => {
          await Promise.all(
            deliveries.map((d) =>
              publisher.publish(
                workExchange,
                queue.name,
                Buffer.from(
                  JSON.stringify({
                    deliveryId: d.deliveryId.toString(),
                    webhookId: d.webhookId.toString(),
                    payload: d.payload,
                  } satisfies DeliveryJob),
                ),
                { persistent: true, messageId: `delivery:${d.deliveryId}`, contentType: 'application/json' },
              ),
            ),
          );
        });
      } catch (err) {
        logger.warn({ shard, err: (err as Error).message }, 'could not queue redeliveries; trying again later');
      }
    }
  }
}
