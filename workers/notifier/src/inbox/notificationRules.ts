import type { NotificationKind } from '@chatgraph/notifications';
import type { RelayedEvent } from '../relay/RelayedEvent';

/** Someone to notify, and why. */
export interface Candidate {
  recipientId: bigint;
  kind: NotificationKind;
}

/** What the rules need to know beyond the event itself. */
export interface RuleFacts {
  /** Members of the chat the event's message names as `@username` (see `MentionSource`). */
  mentioned: ReadonlySet<bigint>;
}

/**
 * Who an event notifies, and why (at most one notification per recipient and event; never the actor):
 * - MESSAGE_ADDED: a MENTION for each member it names; a REPLY to the author of the message it replies to; in a
 *   direct chat a DIRECT_MESSAGE to the other member. When several apply to one person the first listed wins.
 * - REACTION_ADDED: a REACTION to the author of the message reacted to.
 * - MEMBER_ADDED: ADDED_TO_CHAT to the member added (by someone else).
 * Other events notify nobody. Blocks and mutes are applied afterwards (see `InboxHandler`).
 */
export function notificationsFor(event: RelayedEvent, facts: RuleFacts): Candidate[] {
  const actor = BigInt(event.actorId);
  const chosen = new Map<bigint, NotificationKind>();
  const offer = (recipient: bigint | string | null | undefined, kind: NotificationKind) => {
    if (recipient === null || recipient === undefined) return;
    const id = BigInt(recipient);
    if (id !== actor && !chosen.has(id)) chosen.set(id, kind);
  };
  switch (event.type) {
    case 'MESSAGE_ADDED':
      if (!event.message) break;
      for (const id of [...facts.mentioned].sort((a, b) => (a < b ? -1 : 1))) offer(id, 'MENTION');
      offer(event.message.replyToAuthorId, 'REPLY');
      if (event.chat.kind === 'DIRECT') for (const id of event.chat.directUserIds) offer(id, 'DIRECT_MESSAGE');
      break;
    case 'REACTION_ADDED':
      offer(event.message?.authorId, 'REACTION');
      break;
    case 'MEMBER_ADDED':
      offer(event.memberUserId, 'ADDED_TO_CHAT');
      break;
  }
  return [...chosen].map(([recipientId, kind]) => ({ recipientId, kind }));
}
