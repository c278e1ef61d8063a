import type { Logger } from '@chatgraph/logging';
import type { DeliveryLog } from './BatchedDeliveryLog';
import type { DeliveryJob } from './DeliveryJob';
import type { WebhookSender } from './WebhookSender';
import type { WebhookSettings } from './WebhookSettings';

/** Options of {@link DeliveryHandler}. */
export interface DeliveryHandlerOptions {
  /** Where attempts are recorded (`BatchedDeliveryLog`: the attempts that end at the same time in one statement). */
  log: Pick<DeliveryLog, 'record' | 'disable'>;
  settings: WebhookSettings;
  sender: WebhookSender;
  /** Delays before each retry (the delivery queue's delay queues, `WEBHOOK_RETRY_SCHEDULE_MS`). */
  retryDelaysMs: readonly number[];
  logger: Logger;
  /** Told how each attempt ended (for `webhook_deliveries_total`). */
  onOutcome?: (outcome: WebhookOutcome) => void;
}

/** How one delivery attempt ended: 2xx, will be retried, given up after its last retry, endpoint gone (410). */
export type WebhookOutcome = 'delivered' | 'retry' | 'dead' | 'gone';

/** A failed attempt with retries left: the consumer sends the job to its next delay queue. */
export class RetryLater extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RetryLater';
  }
}

/**
 * Sends one delivery (the delivery queue's handler) and records the attempt: one signed POST and one write. The
 * `webhook-id` is `msg_<deliveryId>` on every attempt (receivers drop duplicates by it); `webhook-timestamp` and the
 * signature are made fresh for each attempt. 2xx: DELIVERED. 410 Gone: the webhook is disabled and the delivery DEAD.
 * Anything else (another status, no answer, a refused target): FAILED with the time of the next attempt and
 * {@link RetryLater} thrown, or DEAD after the last retry of the schedule.
 */
export class DeliveryHandler {
  constructor(private readonly options: DeliveryHandlerOptions) {}

  async handle(job: DeliveryJob, retries: number): Promise<void> {
    const result = await this.attempt(job, retries);
    if (result) this.options.onOutcome?.(typeof result === 'string' ? result : 'retry');
    if (typeof result === 'object') throw new RetryLater(result.retry);
  }

  /**
   * One attempt; resolves with how it ended (`{ retry: why }` when it is to be retried), or undefined when nothing was
   * sent (a deleted or disabled webhook).
   */
  private async attempt(
    job: DeliveryJob,
    retries: number,
  ): Promise<Exclude<WebhookOutcome, 'retry'> | { retry: string } | undefined> {
    const { log, settings, sender, retryDelaysMs, logger } = this.options;
    const deliveryId = BigInt(job.deliveryId);
    const webhookId = BigInt(job.webhookId);
    const target = await settings.get(webhookId);
    // Deleted: its deliveries went with it.
    if (!target) return;
    if (target.record.disabledAt !== null) {
      await log.record(deliveryId, { status: 'DEAD', responseStatus: null, nextAttemptAt: null });
      return;
    }
    const msgId = `msg_${job.deliveryId}`;
    const now = new Date();
    const headers = {
      'webhook-id': msgId,
      'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
      'webhook-signature': target.signer.sign(msgId, now, job.payload),
    };
    let status: number | null = null;
    let failure: string;
    try {
      status = await sender.post(target.record.url, headers, job.payload);
      if (status >= 200 && status < 300) {
        await log.record(deliveryId, { status: 'DELIVERED', responseStatus: status, nextAttemptAt: null });
        return 'delivered';
      }
      if (status === 410) {
        await log.disable(webhookId, 'the endpoint answered 410 Gone');
        settings.forget(webhookId);
        await log.record(deliveryId, { status: 'DEAD', responseStatus: status, nextAttemptAt: null });
        logger.info({ webhookId: job.webhookId }, 'webhook endpoint gone (410): disabled');
        return 'gone';
      }
      failure = `the endpoint answered ${status}`;
    } catch (err) {
      failure = (err as Error).message;
    }
    const delay = retryDelaysMs[retries];
    if (delay === undefined) {
      await log.record(deliveryId, { status: 'DEAD', responseStatus: status, nextAttemptAt: null });
      logger.warn({ deliveryId: job.deliveryId, failure }, 'webhook delivery dead after its last attempt');
      return 'dead';
    }
    await log.record(deliveryId, {
      status: 'FAILED',
      responseStatus: status,
      nextAttemptAt: new Date(Date.now() + delay),
    });
    return { retry: failure };
  }
}
