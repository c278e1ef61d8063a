import type { ChatEventType, ChatRole, EventRecord, MemberRecord, MessageRecord } from './storage/records';

/**
 * GraphQL-shaped JSON of what this subgraph publishes and returns: field names as in the schema, `__typename` on
 * every object, the key (`id`) on every entity, ids as decimal strings and instants as ISO strings. The same objects
 * are returned by `chatEventsSince` and published on `chat:{chatId}`, so a live event and a replayed one have exactly
 * the same shape, and the gateway can project them with this subgraph's schema.
 */

/** A reference to a user (owned by the users subgraph). */
export interface UserRef {
  __typename: 'User';
  id: string;
}

/** A reference to a chat. */
export interface ChatRef {
  __typename: 'Chat';
  id: string;
}

/** A `Message`. */
export interface MessagePayload {
  __typename: 'Message';
  id: string;
  seq: number;
  text: string | null;
  clientMessageId: string;
  createdAt: string;
  editedAt: string | null;
  deleted: boolean;
  author: UserRef;
  chat: ChatRef;
}

/** A `ChatMember`. */
export interface MemberPayload {
  __typename: 'ChatMember';
  user: UserRef;
  role: ChatRole;
  joinedAt: string;
  lastReadSeq: number;
}

/** A `ChatEvent`. */
export interface ChatEventPayload {
  __typename: 'ChatEvent';
  seq: number;
  chatId: string;
  type: ChatEventType;
  at: string;
  actor: UserRef;
  message: MessagePayload | null;
  member: MemberPayload | null;
  title: string | null;
}

/** A `ChatActivity` (published on `user-activity:{userId}`). */
export interface ChatActivityPayload {
  __typename: 'ChatActivity';
  chat: ChatRef;
  seq: number;
  type: ChatEventType;
  at: string;
  actor: UserRef;
  message: MessagePayload | null;
  memberUser: UserRef | null;
}

/** A `TypingEvent` (published on `typing:{chatId}`). */
export interface TypingEventPayload {
  __typename: 'TypingEvent';
  chatId: string;
  user: UserRef;
  typing: boolean;
  at: string;
}

/** `{ __typename: 'User', id }`. */
export function userRef(id: bigint): UserRef {
  return { __typename: 'User', id: id.toString() };
}

/** `{ __typename: 'Chat', id }`. */
export function chatRef(id: bigint): ChatRef {
  return { __typename: 'Chat', id: id.toString() };
}

/** A message as GraphQL shows it: no text once deleted. */
export function messagePayload(m: MessageRecord): MessagePayload {
  const deleted = m.deletedAt !== null;
  return {
    __typename: 'Message',
    id: m.id.toString(),
    seq: m.seq,
    text: deleted ? null : m.text,
    clientMessageId: m.clientMessageId,
    createdAt: m.createdAt.toISOString(),
    editedAt: m.editedAt?.toISOString() ?? null,
    deleted,
    author: userRef(m.authorId),
    chat: chatRef(m.chatId),
  };
}

/** A membership as GraphQL shows it. */
export function memberPayload(m: MemberRecord): MemberPayload {
  return {
    __typename: 'ChatMember',
    user: userRef(m.userId),
    role: m.role,
    joinedAt: m.joinedAt.toISOString(),
    lastReadSeq: m.lastReadSeq,
  };
}

/** An event as GraphQL shows it (and as it is published). */
export function chatEventPayload(e: EventRecord): ChatEventPayload {
  return {
    __typename: 'ChatEvent',
    seq: e.seq,
    chatId: e.chatId.toString(),
    type: e.type,
    at: e.at.toISOString(),
    actor: userRef(e.actorId),
    message: e.message ? messagePayload(e.message) : null,
    member: e.member ? memberPayload(e.member) : null,
    title: e.title,
  };
}

/** The activity a member hears about for an event. */
export function chatActivityPayload(e: EventRecord): ChatActivityPayload {
  return {
    __typename: 'ChatActivity',
    chat: chatRef(e.chatId),
    seq: e.seq,
    type: e.type,
    at: e.at.toISOString(),
    actor: userRef(e.actorId),
    message: e.message ? messagePayload(e.message) : null,
    memberUser: e.member ? userRef(e.member.userId) : null,
  };
}
