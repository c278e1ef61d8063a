import DataLoader from 'dataloader';
import type {
  AddedDelivery,
  AttemptOutcome,
  NewDelivery,
  RecordedAttempt,
  RouteQuestion,
  WebhookDeliveryLog,
  WebhookEventType,
  WebhookRoute,
} from '@chatgraph/notifications';
import { nextIoTurn } from '../batching/nextIoTurn';

/** What the webhook workers do with the delivery log. */
export interface DeliveryLog {
  /** The webhooks covering `chatId` that want `eventType`. */
  routes(chatId: bigint, eventType: WebhookEventType): Promise<WebhookRoute[]>;
  /** Adds one event's deliveries (idempotent); resolves with those to send. */
  add(items: readonly NewDelivery[]): Promise<AddedDelivery[]>;
  /** Records one attempt. */
  record(deliveryId: bigint, outcome: AttemptOutcome): Promise<void>;
  /** Disables a webhook whose endpoint is gone. */
  disable(webhookId: bigint, reason: string): Promise<void>;
}

/** The identity of a delivery: one per webhook and chat event (the log's unique key). */
const identity = (d: { webhookId: bigint; chatId: bigint; eventSeq: number }) =>
  `${d.webhookId}:${d.chatId}:${d.eventSeq}`;

/**
 * The delivery log with the work of the messages handled at the same time (a prefetch window) put together: the
 * route reads of every event in one turn of the event loop are one statement per notifications shard, their delivery
 * rows one insert per shard, and the attempts the delivery consumer records one update per shard, instead of one
 * statement each. What each caller gets back is what it would have got alone (a redelivered event gets back the
 * deliveries still to send, and adds none). A failed statement fails every caller in its batch; each message is then
 * retried on its own.
 */
export class BatchedDeliveryLog implements DeliveryLog {
  private readonly routeLoader: DataLoader<RouteQuestion, WebhookRoute[]>;
  private readonly addLoader: DataLoader<readonly NewDelivery[], AddedDelivery[]>;
  private readonly recordLoader: DataLoader<RecordedAttempt, void>;

  /** @param maxBatch most calls put together in one statement */
  constructor(
    private readonly log: WebhookDeliveryLog,
    maxBatch: number,
  ) {
    const options = { cache: false, maxBatchSize: maxBatch, batchScheduleFn: nextIoTurn } as const;
    this.routeLoader = new DataLoader((questions) => log.routesOf(questions), options);
    this.addLoader = new DataLoader((events) => this.addAll(events), options);
    this.recordLoader = new DataLoader(async (attempts) => {
      await log.recordMany(attempts);
      return attempts.map(() => undefined);
    }, options);
  }

  routes(chatId: bigint, eventType: WebhookEventType): Promise<WebhookRoute[]> {
    return this.routeLoader.load({ chatId, eventType });
  }

  add(items: readonly NewDelivery[]): Promise<AddedDelivery[]> {
    return this.addLoader.load(items);
  }

  record(deliveryId: bigint, outcome: AttemptOutcome): Promise<void> {
    return this.recordLoader.load({ deliveryId, outcome });
  }

  disable(webhookId: bigint, reason: string): Promise<void> {
    return this.log.disable(webhookId, reason);
  }

  private async addAll(events: ReadonlyArray<readonly NewDelivery[]>): Promise<AddedDelivery[][]> {
    const unique = new Map<string, NewDelivery>();
    for (const items of events)
      for (const item of items) if (!unique.has(identity(item))) unique.set(identity(item), item);
    const toSend = new Map((await this.log.add([...unique.values()])).map((d) => [identity(d), d]));
    return events.map((items) =>
      items.map((i) => toSend.get(identity(i))).filter((d): d is AddedDelivery => d !== undefined),
    );
  }
}
