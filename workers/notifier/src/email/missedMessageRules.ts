import { alertAllowed, type AlertSettings, type NotificationRecord } from '@chatgraph/notifications';
import type { MessageNow } from './ChatContent';

/** What is known about a batch's notifications just before its email is sent. */
export interface RecheckInput {
  notifications: readonly NotificationRecord[];
  settings: AlertSettings;
  now: Date;
  /** The notified messages as they are now, by message id (a missing one was deleted for good). */
  messages: ReadonlyMap<bigint, MessageNow>;
  /** Actors the recipient blocked. */
  blockedActors: ReadonlySet<bigint>;
  /** Chats the recipient muted (only mentions from them). */
  mutedChats: ReadonlySet<bigint>;
}

/**
 * The notifications of a batch still worth an email, re-checked just before sending: unread (in the inbox, and in the
 * chat: the recipient's read marker is before the message), the message still there, the recipient still a member,
 * email wanted for the kind and no do-not-disturb, the actor not blocked, and a muted chat only for mentions.
 */
export function stillWorthEmailing(input: RecheckInput): NotificationRecord[] {
  const { settings, now, messages, blockedActors, mutedChats } = input;
  return input.notifications.filter((n) => {
    if (n.readAt !== null || n.messageId === null) return false;
    if (!alertAllowed(settings, n.kind, 'email', now)) return false;
    if (blockedActors.has(n.actorId)) return false;
    if (mutedChats.has(n.chatId) && n.kind !== 'MENTION') return false;
    const message = messages.get(n.messageId);
    if (!message || message.deleted || message.lastReadSeq === null) return false;
    return message.seq > message.lastReadSeq;
  });
}
