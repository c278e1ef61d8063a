import type { ChannelWrapper } from 'amqp-connection-manager';
import { notificationPayload, notificationTopic, type NotificationRecord } from '@chatgraph/notifications';
import type { WorkQueue } from '../amqp/Topology';
import type { RelayedEvent } from '../relay/RelayedEvent';
import type { InboxWriter } from './BatchedInbox';
import type { MentionSource } from './MentionSource';
import { notificationsFor } from './notificationRules';
import { NOBODY, type BlockList, type MuteList } from './RecipientFilters';

/** Where notifications go live: the Redis event bus (never rejects; pub/sub is at most once). */
export interface LiveBus {
  publish(topic: string, payload: unknown): Promise<boolean>;
}

/** A Web Push job: one notification to push to its recipient's subscriptions. */
export interface PushJob {
  notificationId: string;
}

/** Options of {@link InboxHandler}. */
export interface InboxHandlerOptions {
  /** Where notifications are added (`BatchedInbox`: the events handled at the same time in one statement per shard). */
  inbox: InboxWriter;
  mentions: MentionSource;
  blocks: BlockList;
  mutes: MuteList;
  bus: LiveBus;
  /** Where push jobs are sent (`publisher` on `workExchange` with the push queue's name); none when push is off. */
  push?: { publisher: ChannelWrapper; workExchange: string; queue: WorkQueue };
}

/**
 * Turns one relayed chat event into notifications (the inbox queue's handler), idempotently: the rules pick the
 * recipients (`notificationsFor`), blocks drop and mutes narrow them, the inbox adds them (one per recipient and event:
 * a redelivered event adds nothing). The lookups and the write of the events handled at the same time (a prefetch
 * window) are batched by the sources and the inbox writer: an event costs a share of a few statements. After the
 * commit, every notification of the event, new or added by an earlier delivery that died before finishing, is
 * published live on `notification:{recipient}` (subscribers drop a seq they already have) and, while its push is
 * pending, sent to the push queue (confirmed before the event is acknowledged). A live notification carries its
 * message as the event has it (see {@link carriedMessage}), so the gateway need not fetch it per recipient.
 */
export class InboxHandler {
  constructor(private readonly options: InboxHandlerOptions) {}

  /** Handles one event; resolves when its notifications are committed, published and their push jobs confirmed. */
  async handle(event: RelayedEvent): Promise<NotificationRecord[]> {
    const { inbox, mentions, blocks, mutes, bus, push } = this.options;
    const candidates = notificationsFor(event, { mentioned: await mentions.mentionedMembers(event) });
    if (candidates.length === 0) return [];
    const recipients = candidates.map((c) => c.recipientId);
    const chatId = BigInt(event.chatId);
    const actorId = BigInt(event.actorId);
    const carried = carriedMessage(event);
    const [blocked, muted, members] = await Promise.all([
      blocks.blockedBy(actorId, recipients),
      mutes.mutedBy(chatId, recipients),
      carried && mutes.membersOf ? mutes.membersOf(chatId, recipients) : NOBODY,
    ]);
    const kept = candidates.filter(
      (c) => !blocked.has(c.recipientId) && (!muted.has(c.recipientId) || c.kind === 'MENTION'),
    );
    if (kept.length === 0) return [];
    const notifications = await inbox.add(
      kept.map((c) => ({
        recipientId: c.recipientId,
        kind: c.kind,
        chatId,
        eventSeq: event.seq,
        messageId: c.kind === 'ADDED_TO_CHAT' || !event.message ? null : BigInt(event.message.id),
        actorId,
      })),
    );
    // A live notification carries its message only to a recipient who is a member now (a member may leave a direct
    // chat, or be removed after being mentioned): anyone else's is fetched as them, and the chats service refuses it.
    const carries = (n: NotificationRecord) =>
      carried !== undefined && String(n.messageId) === carried.id && members.has(n.recipientId);
    await Promise.all(
      notifications.map((n) =>
        bus.publish(notificationTopic(n.recipientId), {
          ...notificationPayload(n),
          ...(carries(n) ? { _entities: [carried] } : {}),
        }),
      ),
    );
    if (push) {
      await Promise.all(
        notifications
          .filter((n) => n.pushedAt === null)
          .map((n) =>
            push.publisher.publish(
              push.workExchange,
              push.queue.name,
              Buffer.from(JSON.stringify({ notificationId: n.id.toString() } satisfies PushJob)),
              { persistent: true, messageId: `push:${n.id}`, contentType: 'application/json' },
            ),
          ),
      );
    }
    return notifications;
  }
}

/** How old an event may be for its message to travel with its notifications (see {@link carriedMessage}). */
export const CARRY_WITHIN_MS = 10_000;

/**
 * The message of `event` as the chats service answers its plain fields (`id`, `text`, `createdAt`, `editedAt`,
 * `deleted`), for a live notification about it to carry (`_entities`, which the gateway answers its fetches from): the
 * message just written (DIRECT_MESSAGE, MENTION, REPLY) or the one reacted to (REACTION). These read the same for every
 * member. Undefined for an event without a message, or relayed before the relay read these fields. A deleted message
 * has no text, as in the chats service.
 */
export function carriedMessage(
  event: RelayedEvent,
  now = Date.now(),
): (Record<string, unknown> & { id: string }) | undefined {
  const m = event.message;
  if (!m || m.createdAt === undefined || m.deleted === undefined) return undefined;
  // Read by the relay when the event was new: an event handled much later (a retry, a replay from the dead-letter
  // queue) may hold a text edited or deleted since, so its message is fetched instead.
  if (!(now - Date.parse(event.at) <= CARRY_WITHIN_MS)) return undefined;
  return {
    __typename: 'Message',
    id: m.id,
    text: m.deleted ? null : m.text,
    createdAt: m.createdAt,
    editedAt: m.editedAt ?? null,
    deleted: m.deleted,
  };
}
