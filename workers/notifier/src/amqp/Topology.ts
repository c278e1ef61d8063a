import type { Channel } from 'amqplib';

/** A queue of one kind of work, with its delay queues (one per retry) and its dead-letter queue. */
export interface WorkQueue {
  /** The queue workers consume. */
  name: string;
  /** Delay queues in retry order: a failed message waits `delayMs` in the n-th one before it returns. */
  retries: Array<{ name: string; delayMs: number }>;
  /** Where a message goes after its last retry (or when it cannot be handled at all). */
  dlq: string;
}

/** Options of {@link Topology}. */
export interface TopologyOptions {
  /** Prefix of every name (`AMQP_PREFIX`). */
  prefix: string;
  /** Delays before each retry, in ms (`NOTIFIER_RETRY_DELAYS_MS`). */
  retryDelaysMs: readonly number[];
  /** Deliveries of a message (crashes included) before the broker dead-letters it (`NOTIFIER_DELIVERY_LIMIT`). */
  deliveryLimit: number;
  /** Delays before each retry of a webhook delivery, in ms (`WEBHOOK_RETRY_SCHEDULE_MS`). @default none */
  webhookRetryDelaysMs?: readonly number[];
}

/** The chat event types the inbox consumes (others are not routed to it). */
export const INBOX_EVENT_TYPES = ['MESSAGE_ADDED', 'MEMBER_ADDED', 'REACTION_ADDED'] as const;

/** The chat event types webhooks can receive (the webhook fan-out queue gets these). */
export const WEBHOOK_EVENT_TYPES = [
  'MESSAGE_ADDED',
  'MESSAGE_EDITED',
  'MESSAGE_DELETED',
  'MEMBER_ADDED',
  'MEMBER_REMOVED',
  'REACTION_ADDED',
] as const;

/** Routing key of a chat event on the events exchange. */
export const eventRoutingKey = (type: string) => `chat.${type}`;

/**
 * The RabbitMQ objects of the notification pipeline, all durable, declared by whoever connects (idempotent):
 *
 * - `<p>.events` (topic): the relay publishes every chat event with routing key `chat.<TYPE>`;
 * - `<p>.work` (direct): routes by queue name; retries come back through it, and the inbox sends push jobs on it;
 * - `<p>.dead` (direct): routes by queue name to the dead-letter queues;
 * - per kind of work (`inbox`: events → notifications, `push`: notification → Web Push, `webhooks`: events →
 *   webhook deliveries, `deliveries`: one delivery → one signed POST) a quorum queue with a delivery limit (a message
 *   that keeps killing its worker ends in the DLQ too), dead-lettering to `<p>.dead`; one delay queue per retry
 *   (message TTL, dead-lettering back to `<p>.work` when the TTL expires); a DLQ. Deliveries retry on the webhook
 *   schedule (Standard Webhooks) and end as DEAD in the delivery log rather than in their DLQ.
 */
export class Topology {
  readonly eventsExchange: string;
  readonly workExchange: string;
  readonly deadExchange: string;
  readonly inbox: WorkQueue;
  readonly push: WorkQueue;
  readonly webhooks: WorkQueue;
  readonly deliveries: WorkQueue;

  constructor(private readonly options: TopologyOptions) {
    const p = options.prefix;
    this.eventsExchange = `${p}.events`;
    this.workExchange = `${p}.work`;
    this.deadExchange = `${p}.dead`;
    this.inbox = this.workQueue(`${p}.notify.inbox`);
    this.push = this.workQueue(`${p}.notify.push`);
    this.webhooks = this.workQueue(`${p}.notify.webhooks`);
    this.deliveries = this.workQueue(`${p}.notify.deliveries`, options.webhookRetryDelaysMs ?? []);
  }

  /** Every work queue. */
  get queues(): WorkQueue[] {
    return [this.inbox, this.push, this.webhooks, this.deliveries];
  }

  /** The work queue named `name` or, shorter, `inbox` / `push`; undefined when there is none. */
  queueNamed(name: string): WorkQueue | undefined {
    return this.queues.find((q) => q.name === name || q.name.endsWith(`.notify.${name}`) || q.dlq === name);
  }

  private workQueue(name: string, delaysMs: readonly number[] = this.options.retryDelaysMs): WorkQueue {
    return {
      name,
      retries: delaysMs.map((delayMs, i) => ({
        name: `${name}.retry${i + 1}.${delayMs}ms`,
        delayMs,
      })),
      dlq: `${name}.dlq`,
    };
  }

  /** Declares everything (safe to repeat: every connection and every reconnect does it). */
  async assert(channel: Channel): Promise<void> {
    await channel.assertExchange(this.eventsExchange, 'topic', { durable: true });
    await channel.assertExchange(this.workExchange, 'direct', { durable: true });
    await channel.assertExchange(this.deadExchange, 'direct', { durable: true });
    for (const queue of this.queues) {
      await channel.assertQueue(queue.name, {
        durable: true,
        arguments: {
          'x-queue-type': 'quorum',
          'x-delivery-limit': this.options.deliveryLimit,
          'x-dead-letter-exchange': this.deadExchange,
          'x-dead-letter-routing-key': queue.name,
        },
      });
      await channel.bindQueue(queue.name, this.workExchange, queue.name);
      for (const retry of queue.retries) {
        await channel.assertQueue(retry.name, {
          durable: true,
          arguments: {
            'x-message-ttl': retry.delayMs,
            'x-dead-letter-exchange': this.workExchange,
            'x-dead-letter-routing-key': queue.name,
          },
        });
      }
      await channel.assertQueue(queue.dlq, { durable: true });
      await channel.bindQueue(queue.dlq, this.deadExchange, queue.name);
    }
    for (const type of INBOX_EVENT_TYPES) {
      await channel.bindQueue(this.inbox.name, this.eventsExchange, eventRoutingKey(type));
    }
    for (const type of WEBHOOK_EVENT_TYPES) {
      await channel.bindQueue(this.webhooks.name, this.eventsExchange, eventRoutingKey(type));
    }
  }
}
