import type { NotificationKind, NotificationRecord } from './storage/records';

/**
 * The GraphQL-shaped JSON of a notification: what the resolvers return, what `notificationsSince` replays and what the
 * notifier publishes on `notification:{recipientId}`, so a live notification and a replayed one have the same shape
 * and the gateway can project either with this subgraph's schema. Ids are decimal strings, instants ISO strings.
 */
export interface NotificationPayload {
  __typename: 'Notification';
  id: string;
  seq: number;
  kind: NotificationKind;
  chat: { __typename: 'Chat'; id: string };
  message: { __typename: 'Message'; id: string } | null;
  actor: { __typename: 'User'; id: string };
  createdAt: string;
  readAt: string | null;
}

/** Redis channel of a user's new notifications (the `@live` topic of `notificationAdded`). */
export const notificationTopic = (recipientId: bigint | string) => `notification:${recipientId}`;

/** A notification as its payload. */
export function notificationPayload(n: NotificationRecord): NotificationPayload {
  return {
    __typename: 'Notification',
    id: n.id.toString(),
    seq: n.seq,
    kind: n.kind,
    chat: { __typename: 'Chat', id: n.chatId.toString() },
    message: n.messageId === null ? null : { __typename: 'Message', id: n.messageId.toString() },
    actor: { __typename: 'User', id: n.actorId.toString() },
    createdAt: n.createdAt.toISOString(),
    readAt: n.readAt?.toISOString() ?? null,
  };
}
