import type { ChannelWrapper, AmqpConnectionManager } from 'amqp-connection-manager';
import type { Channel, ConsumeMessage } from 'amqplib';
import type { Logger } from '@chatgraph/logging';
import { contextFrom, inSpan, SpanKind } from '@chatgraph/telemetry';
import { PermanentFailure } from './PermanentFailure';
import type { Topology, WorkQueue } from './Topology';

/** Header counting the retries a message went through. */
export const ATTEMPTS_HEADER = 'x-chatgraph-attempts';
/** Header carrying why the last attempt failed. */
export const ERROR_HEADER = 'x-chatgraph-error';

/** What a consumer counted (the admin port's /status shows it). */
export interface ConsumerStats {
  handled: number;
  retried: number;
  deadLettered: number;
  inFlight: number;
}

/** Options of {@link QueueConsumer}. */
export interface QueueConsumerOptions<T> {
  connection: AmqpConnectionManager;
  topology: Topology;
  queue: WorkQueue;
  /** Unacknowledged messages held at once (parallel handlers). */
  prefetch: number;
  /** A confirm channel for retries and dead letters (shared by the process). */
  publisher: ChannelWrapper;
  /** Reads a message body; throws {@link PermanentFailure} for one that can never be handled. */
  parse(content: Buffer): T;
  /**
   * Handles one message; resolves when its effect is committed. Must be idempotent: delivery is at least once.
   * `retries` is how many times it was retried so far (0 on the first attempt).
   */
  handle(message: T, retries: number): Promise<void>;
  logger: Logger;
}

/**
 * Consumes one work queue with manual acks and a prefetch bound. A message is acknowledged only after `handle`
 * resolved (at least once: a worker that dies before the ack has it redelivered to another). A failure is retried
 * through the queue's delay queues (each a TTL queue dead-lettering back to the work queue: 1 s, 10 s, 1 min by
 * default), the attempt counted in a header; after the last retry, or at once for a {@link PermanentFailure}, the
 * message goes to the queue's dead-letter queue with the error. Republishing is confirmed before the original is
 * acknowledged, so a failure is never lost either. The consumer is set up again on every reconnect (the channel's
 * setup), and each message is acknowledged on the channel it came from.
 */
export class QueueConsumer<T> {
  readonly stats: ConsumerStats = { handled: 0, retried: 0, deadLettered: 0, inFlight: 0 };
  private wrapper: ChannelWrapper | undefined;
  private current: { channel: Channel; consumerTag: string } | undefined;
  private stopping = false;
  private idle: (() => void) | undefined;

  constructor(private readonly options: QueueConsumerOptions<T>) {}

  /** The queue consumed. */
  get queue(): string {
    return this.options.queue.name;
  }

  /** Starts consuming as soon as RabbitMQ is connected, and again after every reconnect. */
  start(): void {
    const { connection, topology, queue, prefetch } = this.options;
    this.wrapper = connection.createChannel({
      confirm: false,
      setup: async (channel: Channel) => {
        await topology.assert(channel);
        await channel.prefetch(prefetch);
        const { consumerTag } = await channel.consume(queue.name, (msg) => void this.onMessage(channel, msg), {
          noAck: false,
        });
        this.current = { channel, consumerTag };
      },
    });
  }

  /** Stops taking messages, waits for those in hand to be handled (and acknowledged), closes the channel. */
  async stop(): Promise<void> {
    this.stopping = true;
    const current = this.current;
    if (current) await current.channel.cancel(current.consumerTag).catch(() => undefined);
    if (this.stats.inFlight > 0) await new Promise<void>((resolve) => (this.idle = resolve));
    await this.wrapper?.close().catch(() => undefined);
  }

  private async onMessage(channel: Channel, msg: ConsumeMessage | null): Promise<void> {
    if (msg === null) {
      // The broker cancelled the consumer (queue deleted): the wrapper's next setup consumes again.
      this.options.logger.warn({ queue: this.options.queue.name }, 'consumer cancelled by the broker');
      return;
    }
    this.stats.inFlight++;
    try {
      let outcome: 'ack' | 'requeue';
      try {
        const retries = Number(msg.properties.headers?.[ATTEMPTS_HEADER] ?? 0);
        // A span per message, continuing the trace its publisher put in the headers (W3C traceparent), if any.
        await inSpan(
          `process ${this.options.queue.name}`,
          {
            kind: SpanKind.CONSUMER,
            parent: contextFrom(msg.properties.headers as Record<string, unknown> | undefined),
            attributes: { 'messaging.destination.name': this.options.queue.name, 'messaging.retries': retries },
          },
          () => this.options.handle(this.options.parse(msg.content), Number.isInteger(retries) ? retries : 0),
        );
        this.stats.handled++;
        outcome = 'ack';
      } catch (err) {
        outcome = await this.fail(msg, err);
      }
      settle(channel, msg, outcome);
    } finally {
      this.stats.inFlight--;
      if (this.stats.inFlight === 0 && this.idle) this.idle();
    }
  }

  /** Sends a failed message to its next delay queue or to the DLQ; tells what to do with the original. */
  private async fail(msg: ConsumeMessage, err: unknown): Promise<'ack' | 'requeue'> {
    const { queue, publisher, topology, logger } = this.options;
    const attempts = Number(msg.properties.headers?.[ATTEMPTS_HEADER] ?? 0);
    const error = err instanceof Error ? err.message : String(err);
    const permanent = err instanceof PermanentFailure;
    const retry = permanent ? undefined : queue.retries[attempts];
    const headers = { ...msg.properties.headers, [ATTEMPTS_HEADER]: attempts + (retry ? 1 : 0), [ERROR_HEADER]: error };
    const options = { ...msg.properties, headers, persistent: true };
    try {
      if (retry) {
        await publisher.publish('', retry.name, msg.content, options);
        this.stats.retried++;
        logger.warn({ queue: queue.name, attempts: attempts + 1, delayMs: retry.delayMs, error }, 'retrying later');
      } else {
        await publisher.publish(topology.deadExchange, queue.name, msg.content, options);
        this.stats.deadLettered++;
        logger.error({ queue: queue.name, attempts, error, permanent }, 'message dead-lettered');
      }
      return 'ack';
    } catch (publishErr) {
      // Nothing was confirmed: the broker keeps the original and delivers it again (the delivery limit bounds it).
      logger.warn({ queue: queue.name, err: (publishErr as Error).message }, 'could not republish a failed message');
      return 'requeue';
    }
  }
}

/** Acknowledges or returns a message on the channel it came from; a closed channel already returned it. */
function settle(channel: Channel, msg: ConsumeMessage, outcome: 'ack' | 'requeue'): void {
  try {
    if (outcome === 'ack') channel.ack(msg);
    else channel.nack(msg, false, true);
  } catch {
    // The channel closed while the message was handled: the broker redelivers it (the handler is idempotent).
  }
}
