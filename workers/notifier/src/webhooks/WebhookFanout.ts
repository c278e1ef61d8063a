import type { ChannelWrapper } from 'amqp-connection-manager';
import { webhookEventOf, type WebhookStore } from '@chatgraph/notifications';
import type { Logger } from '@chatgraph/logging';
import type { WorkQueue } from '../amqp/Topology';
import type { RelayedEvent } from '../relay/RelayedEvent';
import type { DeliveryLog } from './BatchedDeliveryLog';
import type { MuteList } from '../inbox/RecipientFilters';
import type { DeliveryJob } from './DeliveryJob';
import { webhookPayload } from './webhookPayload';
import { isSettled, type WebhookSettings } from './WebhookSettings';

/** Options of {@link WebhookFanout}. */
export interface WebhookFanoutOptions {
  /** The delivery log (`BatchedDeliveryLog`: the events handled at the same time share its statements). */
  log: DeliveryLog;
  settings: WebhookSettings;
  /** For routing rows that name a webhook that no longer exists. */
  store: WebhookStore;
  /** Is a webhook's owner still a member of the chat? */
  members: Pick<Required<MuteList>, 'membersOf'>;
  /** A confirm channel, the work exchange and the delivery queue. */
  publisher: ChannelWrapper;
  workExchange: string;
  queue: WorkQueue;
  logger: Logger;
}

/**
 * Turns one relayed chat event into webhook deliveries (the webhooks queue's handler), idempotently: the webhooks
 * covering the chat that want the event (a read on the chat's shard), kept while their owner is still a member of
 * the chat (a read on the chats shard), enabled, and created before the event was committed; one delivery row each
 * (a redelivered event adds nothing); then a job per delivery on the delivery queue, confirmed before the event is
 * acknowledged. The reads and the insert are shared with the events handled at the same time (one statement per
 * shard for a prefetch window). An event no webhook covers costs its share of the one read.
 */
export class WebhookFanout {
  constructor(private readonly options: WebhookFanoutOptions) {}

  async handle(event: RelayedEvent): Promise<number> {
    const { log, settings, store, members, publisher, workExchange, queue } = this.options;
    const type = webhookEventOf(event.type);
    if (!type) return 0;
    const chatId = BigInt(event.chatId);
    const routes = await log.routes(chatId, type);
    if (routes.length === 0) return 0;
    const owners = [...new Set(routes.map((r) => r.ownerId))];
    const stillMember = await members.membersOf(chatId, owners);
    const payload = webhookPayload(event, type);
    const committedAt = Date.parse(event.at);
    const items = [];
    for (const route of routes) {
      // A webhook covering a chat its owner left receives nothing more from it.
      if (!stillMember.has(route.ownerId)) continue;
      const target = await settings.get(route.webhookId);
      if (!target) {
        // A routing row left behind by a crash between the webhook's deletion and its rows' (a young id is a webhook
        // being created: its row is about to exist).
        if (isSettled(route.webhookId)) await store.dropRoutes(route.webhookId, [chatId]);
        continue;
      }
      if (target.record.disabledAt !== null) continue;
      // A webhook receives the events committed after it was created, not those of its chats still on their way
      // when it was (by the database clocks: the chat's shard for the event, the owner's for the webhook).
      if (committedAt < target.record.createdAt.getTime()) continue;
      items.push({ webhookId: route.webhookId, chatId, eventSeq: event.seq, eventType: type, payload });
    }
    if (items.length === 0) return 0;
    const toSend = await log.add(items);
    await Promise.all(
      toSend.map((d) =>
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
    return toSend.length;
  }
}
