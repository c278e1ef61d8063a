import DataLoader from 'dataloader';
import type { NewNotification, NotificationInbox, NotificationRecord } from '@chatgraph/notifications';
import { nextIoTurn } from '../batching/nextIoTurn';

/** Where the inbox handler adds an event's notifications. */
export interface InboxWriter {
  /**
   * Adds the notifications of one event (idempotently) and resolves with every notification it has for those
   * recipients: the new ones and those an earlier delivery of the event added.
   */
  add(items: readonly NewNotification[]): Promise<NotificationRecord[]>;
}

/** The identity of one notification: one per recipient and chat event (the inbox's unique key). */
const identity = (n: { recipientId: bigint; chatId: bigint; eventSeq: number }) =>
  `${n.recipientId}:${n.chatId}:${n.eventSeq}`;

/**
 * Adds the notifications of the events handled at the same time (a prefetch window) together: the events whose
 * notifications are ready in one turn of the event loop go to {@link NotificationInbox.add} as one batch, which is one
 * statement per notifications shard instead of one per event. Idempotency is the inbox's: a redelivered event
 * (even twice in one batch) adds nothing and gets back what was added for it. Within a batch a recipient's new
 * notifications take their seqs in (chat, event seq) order. A failed batch fails every event in it; each is retried
 * on its own schedule, and the retries add what the failed batch did not.
 */
export class BatchedInbox implements InboxWriter {
  private readonly loader: DataLoader<readonly NewNotification[], NotificationRecord[]>;

  /** @param maxEvents most events in one batch */
  constructor(
    private readonly inbox: NotificationInbox,
    maxEvents: number,
  ) {
    this.loader = new DataLoader((events) => this.write(events), {
      cache: false,
      maxBatchSize: maxEvents,
      batchScheduleFn: nextIoTurn,
    });
  }

  add(items: readonly NewNotification[]): Promise<NotificationRecord[]> {
    return this.loader.load(items);
  }

  private async write(events: ReadonlyArray<readonly NewNotification[]>): Promise<NotificationRecord[][]> {
    const unique = new Map<string, NewNotification>();
    for (const items of events)
      for (const item of items) if (!unique.has(identity(item))) unique.set(identity(item), item);
    const { notifications } = await this.inbox.add([...unique.values()]);
    const byIdentity = new Map(notifications.map((n) => [identity(n), n]));
    return events.map((items) =>
      items.map((i) => byIdentity.get(identity(i))).filter((n): n is NotificationRecord => n !== undefined),
    );
  }
}
