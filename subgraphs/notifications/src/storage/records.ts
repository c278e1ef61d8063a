/** What the notifications storage hands out: 64-bit ids as bigint, instants as Date. */

/** Why a recipient is notified. */
export type NotificationKind = 'DIRECT_MESSAGE' | 'MENTION' | 'REPLY' | 'REACTION' | 'ADDED_TO_CHAT';

/** Every {@link NotificationKind}, in schema order. */
export const NOTIFICATION_KINDS: readonly NotificationKind[] = [
  'DIRECT_MESSAGE',
  'MENTION',
  'REPLY',
  'REACTION',
  'ADDED_TO_CHAT',
];

/** A row of `notifications`. */
export interface NotificationRecord {
  id: bigint;
  recipientId: bigint;
  /** Position in the recipient's inbox (1, 2, 3, ... in commit order). */
  seq: number;
  kind: NotificationKind;
  chatId: bigint;
  /** The seq of the chat event that caused it: with `chatId`, the event's identity. */
  eventSeq: number;
  messageId: bigint | null;
  actorId: bigint;
  createdAt: Date;
  readAt: Date | null;
  /** When Web Push was dealt with; null while pending. */
  pushedAt: Date | null;
}

/** A notification to add (its id, seq and time are assigned by the inbox). */
export interface NewNotification {
  recipientId: bigint;
  kind: NotificationKind;
  chatId: bigint;
  eventSeq: number;
  messageId: bigint | null;
  actorId: bigint;
}

/** A row of `push_subscriptions`. */
export interface PushSubscriptionRecord {
  userId: bigint;
  endpoint: string;
  p256dh: string;
  auth: string;
  createdAt: Date;
}
