/**
 * What the storage layer hands to the rest of the service: plain rows with 64-bit ids as bigint and instants as Date.
 * Resolvers and publishers turn them into GraphQL-shaped payloads (see `../payloads.ts`).
 */

/** DIRECT or GROUP. */
export type ChatKind = 'DIRECT' | 'GROUP';

/** OWNER, ADMIN or MEMBER. */
export type ChatRole = 'OWNER' | 'ADMIN' | 'MEMBER';

/** The kinds of entries in a chat's event log. */
export type ChatEventType =
  | 'MESSAGE_ADDED'
  | 'MESSAGE_EDITED'
  | 'MESSAGE_DELETED'
  | 'MEMBER_ADDED'
  | 'MEMBER_REMOVED'
  | 'CHAT_UPDATED'
  | 'REACTION_ADDED'
  | 'REACTION_REMOVED'
  | 'MESSAGE_PINNED'
  | 'MESSAGE_UNPINNED'
  | 'MEMBER_BANNED'
  | 'MEMBER_UNBANNED';

/** A row of `chats`. */
export interface ChatRecord {
  id: bigint;
  kind: ChatKind;
  title: string | null;
  createdBy: bigint;
  createdAt: Date;
  lastSeq: number;
  lastActivityAt: Date;
}

/** A row of `chat_members` (or the snapshot of one kept in an event). */
export interface MemberRecord {
  chatId: bigint;
  userId: bigint;
  role: ChatRole;
  joinedAt: Date;
  lastReadSeq: number;
  /** Until when the member muted the chat (null: not muted), when the statement read it. */
  mutedUntil?: Date | null;
}

/** A row of `messages`. */
export interface MessageRecord {
  id: bigint;
  chatId: bigint;
  seq: number;
  authorId: bigint;
  /** Empty once deleted: the text is wiped on delete. */
  text: string;
  clientMessageId: string;
  createdAt: Date;
  editedAt: Date | null;
  deletedAt: Date | null;
  /** The message this one replies to (same chat), or null. */
  replyToId: bigint | null;
  /** The root of its thread (threads are flat), or null when it is no reply. */
  threadRootId: bigint | null;
  /** Replies in the thread of this message when it is a thread root (0 otherwise). */
  replyCount: number;
  /** Members it names as `@username` (resolved when sent or last edited), in order of appearance. */
  mentionIds: bigint[];
  /** When it was pinned; null when not pinned. */
  pinnedAt: Date | null;
}

/** The reactions of a message with one emoji. */
export interface ReactionGroupRecord {
  emoji: string;
  count: number;
  /** Who reacted, earliest first (at most {@link REACTION_USERS_SHOWN}). */
  userIds: bigint[];
  /** Whether the viewer is among them (false when unknown: in a published event). */
  viewerReacted: boolean;
}

/** Most users listed per reaction group. */
export const REACTION_USERS_SHOWN = 20;

/** A row of `chat_events` with what it refers to. */
export interface EventRecord {
  chatId: bigint;
  seq: number;
  type: ChatEventType;
  actorId: bigint;
  at: Date;
  /** MESSAGE_* events: the message (current state when read from the log, state after the change when just written). */
  message: MessageRecord | null;
  /** MEMBER_* events: the membership as it was at the event. */
  member: MemberRecord | null;
  /** CHAT_UPDATED: the new title. */
  title: string | null;
  /** REACTION_ADDED / REACTION_REMOVED: the emoji. */
  emoji: string | null;
  /** MEMBER_BANNED / MEMBER_UNBANNED: the user banned or unbanned. */
  userId?: bigint | null;
  /** When just written (published live): the message's reactions after the event. */
  reactions?: ReactionGroupRecord[];
  /** When just written (published live): the messages a reply refers to, by id (`replyTo`, `threadRoot`). */
  related?: ReadonlyMap<bigint, MessageRecord>;
}

/** A chat as one viewer sees it: the chat and the viewer's membership (null when the viewer is not a member). */
export interface ChatView {
  chat: ChatRecord;
  membership: MemberRecord | null;
  /** The viewer's unread count, when the statement that loaded the view read it (0 when not a member). */
  unreadCount?: number;
  /** The chat's newest message, when the statement that loaded the view read it (null: no message yet). */
  lastMessage?: MessageRecord | null;
}

/** What a write that changed a chat produced: the events it appended and who should hear about them. */
export interface ChatChange {
  chatId: bigint;
  events: EventRecord[];
  /** Members of the chat after the change. */
  memberIds: bigint[];
  /** Users who left the chat in this change (they still get their activity and are re-authorized). */
  removedIds: bigint[];
}

/** A committed change plus the index outbox rows it wrote on its chat's shard. */
export interface CommittedChange extends ChatChange {
  outboxIds: bigint[];
  /**
   * The chat's new `lastActivityAt` when the change moved it (and wrote its `activity_outbox` row): the members'
   * `user_chats` copies are brought forward to it after the commit (see `ActivityIndex`).
   */
  activityAt?: Date;
}

/**
 * Told about every change right after its transaction committed (`live/ChangeFeed`: index upkeep, then publishing).
 * The stores call it and know nothing of what it does; it never rejects, since nothing can undo the commit.
 */
export interface CommitListener {
  committed(change: CommittedChange): Promise<void>;
}

/** Position of a chat in an activity-ordered list (what a chat-list cursor encodes). */
export interface ChatPosition {
  lastActivityAt: Date;
  chatId: bigint;
}
