import type {
  ChatEventType,
  ChatRole,
  EventRecord,
  MemberRecord,
  MessageRecord,
  ReactionGroupRecord,
} from './storage/records';

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
  replyToId: string | null;
  threadRootId: string | null;
  replyCount: number;
  pinned: boolean;
  mentions: UserRef[];
  /**
   * The reactions as of the event (published payloads only: the resolvers load them for the viewer). In a published
   * payload `viewerReacted` is false: whose reaction it was is the REACTION_* event's `actor`.
   */
  reactions?: ReactionGroupPayload[];
  /** The messages replied to and the thread root, shallow (published payloads only; resolvers load them). */
  replyTo?: MessagePayload | null;
  threadRoot?: MessagePayload | null;
}

/** A `ReactionGroup`. */
export interface ReactionGroupPayload {
  __typename: 'ReactionGroup';
  emoji: string;
  count: number;
  viewerReacted: boolean;
  users: UserRef[];
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
  emoji: string | null;
  user: UserRef | null;
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

/** A `ReadReceipt` (published on `receipts:{chatId}` and `user-reads:{userId}`). */
export interface ReadReceiptPayload {
  __typename: 'ReadReceipt';
  chatId: string;
  user: UserRef;
  lastReadSeq: number;
  at: string;
  /** Only on the reader's own topic: their unread count after the change. */
  unreadCount: number | null;
}

/** `{ __typename: 'User', id }`. */
export function userRef(id: bigint): UserRef {
  return { __typename: 'User', id: id.toString() };
}

/** `{ __typename: 'Chat', id }`. */
export function chatRef(id: bigint): ChatRef {
  return { __typename: 'Chat', id: id.toString() };
}

/** A reaction group as GraphQL shows it. */
export function reactionGroupPayload(g: ReactionGroupRecord): ReactionGroupPayload {
  return {
    __typename: 'ReactionGroup',
    emoji: g.emoji,
    count: g.count,
    viewerReacted: g.viewerReacted,
    users: g.userIds.map(userRef),
  };
}

/** What a published message payload carries besides the message itself (see {@link MessagePayload}). */
export interface PublishedParts {
  reactions?: ReactionGroupRecord[];
  /** Messages by id, for `replyTo` and `threadRoot`. */
  related?: ReadonlyMap<bigint, MessageRecord>;
}

/** A message as GraphQL shows it: no text once deleted. */
export function messagePayload(m: MessageRecord, parts?: PublishedParts): MessagePayload {
  const deleted = m.deletedAt !== null;
  const shallow = (id: bigint | null) => {
    const related = id === null ? undefined : parts?.related?.get(id);
    return related ? messagePayload(related, { reactions: [] }) : null;
  };
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
    replyToId: m.replyToId?.toString() ?? null,
    threadRootId: m.threadRootId?.toString() ?? null,
    replyCount: m.replyCount,
    pinned: m.pinnedAt !== null,
    mentions: m.mentionIds.map(userRef),
    ...(parts
      ? {
          reactions: (parts.reactions ?? []).map(reactionGroupPayload),
          replyTo: shallow(m.replyToId),
          threadRoot: shallow(m.threadRootId),
        }
      : {}),
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

/** The parts a published event's message carries (see {@link MessagePayload}). */
function publishedParts(e: EventRecord): PublishedParts {
  return { reactions: e.reactions ?? [], related: e.related };
}

/**
 * An event as GraphQL shows it; `published`: as it is published, its message complete with what the resolvers
 * would otherwise load (reactions, the messages replied to).
 */
export function chatEventPayload(e: EventRecord, published = false): ChatEventPayload {
  return {
    __typename: 'ChatEvent',
    seq: e.seq,
    chatId: e.chatId.toString(),
    type: e.type,
    at: e.at.toISOString(),
    actor: userRef(e.actorId),
    message: e.message ? messagePayload(e.message, published ? publishedParts(e) : undefined) : null,
    member: e.member ? memberPayload(e.member) : null,
    title: e.title,
    emoji: e.emoji,
    user: e.userId ? userRef(e.userId) : null,
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
    message: e.message ? messagePayload(e.message, publishedParts(e)) : null,
    memberUser: e.member ? userRef(e.member.userId) : e.userId ? userRef(e.userId) : null,
  };
}
