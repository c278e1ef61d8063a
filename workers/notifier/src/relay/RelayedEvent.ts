import { parseId } from '@chatgraph/ids';
import { PermanentFailure } from '../amqp/PermanentFailure';

/**
 * A chat event as the relay publishes it (JSON, one per message; the message id is `<chatId>:<seq>`, the event's
 * identity). It carries what the consumers need to decide who is notified without reading the chats database for
 * the common cases: the chat's kind and direct members, and the message's author and text as committed.
 */
export interface RelayedEvent {
  /** Version of this format. */
  v: 1;
  chatId: string;
  seq: number;
  /** MESSAGE_ADDED, MEMBER_ADDED, REACTION_ADDED, ... (the chats event types). */
  type: string;
  actorId: string;
  /** When the event happened (ISO). */
  at: string;
  chat: {
    kind: 'DIRECT' | 'GROUP';
    /** The two members of a direct chat (empty for a group). */
    directUserIds: string[];
  };
  /** The message the event is about (MESSAGE_*, REACTION_*), as the log holds it when relayed. */
  message: {
    id: string;
    authorId: string;
    text: string;
    /** Author of the message this one replies to, when it is a reply. */
    replyToAuthorId?: string | null;
    /**
     * When the message was written, last edited, and whether it is deleted, as the log holds them when relayed (ISO;
     * absent from events relayed before these were added).
     */
    createdAt?: string;
    editedAt?: string | null;
    deleted?: boolean;
    /**
     * The members the message names as `@username`, resolved when it was sent (`messages.mention_ids`); absent from
     * events relayed before the relay carried them (their consumers read them from the chats shard).
     */
    mentionIds?: string[];
  } | null;
  /** MEMBER_* events: the member added or removed. */
  memberUserId: string | null;
}

/** The identity of an event: `<chatId>:<seq>`. */
export const eventKey = (e: Pick<RelayedEvent, 'chatId' | 'seq'>) => `${e.chatId}:${e.seq}`;

const isId = (v: unknown): v is string => typeof v === 'string' && parseId(v) !== null;

/** Reads a relayed event; throws {@link PermanentFailure} for anything else (it would fail on every retry). */
export function parseRelayedEvent(content: Buffer): RelayedEvent {
  let value: unknown;
  try {
    value = JSON.parse(content.toString('utf8'));
  } catch {
    throw new PermanentFailure('not JSON');
  }
  const e = value as Partial<RelayedEvent> | null;
  const ok =
    e !== null &&
    typeof e === 'object' &&
    e.v === 1 &&
    isId(e.chatId) &&
    Number.isInteger(e.seq) &&
    (e.seq ?? 0) > 0 &&
    typeof e.type === 'string' &&
    isId(e.actorId) &&
    typeof e.at === 'string' &&
    typeof e.chat === 'object' &&
    e.chat !== null &&
    (e.chat.kind === 'DIRECT' || e.chat.kind === 'GROUP') &&
    Array.isArray(e.chat.directUserIds) &&
    e.chat.directUserIds.every(isId) &&
    (e.memberUserId === null || isId(e.memberUserId)) &&
    (e.message === null ||
      (typeof e.message === 'object' &&
        isId(e.message.id) &&
        isId(e.message.authorId) &&
        typeof e.message.text === 'string' &&
        (e.message.replyToAuthorId == null || isId(e.message.replyToAuthorId)) &&
        (e.message.createdAt === undefined || typeof e.message.createdAt === 'string') &&
        (e.message.editedAt == null || typeof e.message.editedAt === 'string') &&
        (e.message.deleted === undefined || typeof e.message.deleted === 'boolean') &&
        (e.message.mentionIds === undefined ||
          (Array.isArray(e.message.mentionIds) && e.message.mentionIds.every(isId)))));
  if (!ok) throw new PermanentFailure('not a relayed chat event (v1)');
  return e as RelayedEvent;
}
