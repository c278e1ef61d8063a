import { ChatsPrisma } from '@chatgraph/db';
import type { ChatKind, ChatRecord, ChatRole, ChatView, MemberRecord, MessageRecord } from './records';

/** Anything that runs raw SQL: a shard's Prisma client or an interactive transaction on it. */
export type SqlRunner = Pick<ChatsPrisma.TransactionClient, '$queryRaw' | '$executeRaw'>;

/** Columns of `chats` as {@link ChatRow} expects them, for a table aliased `c`. */
export const CHAT_COLUMNS = ChatsPrisma.sql`c.id, c.kind, c.title, c.created_by, c.created_at, c.last_seq, c.last_activity_at`;

/** Columns of `messages` as {@link MessageRow} expects them, for a table aliased `msg`. */
export const MESSAGE_COLUMNS = ChatsPrisma.sql`msg.id, msg.chat_id, msg.seq, msg.author_id, msg.text, msg.client_message_id,
  msg.created_at, msg.edited_at, msg.deleted_at, msg.reply_to_id, msg.thread_root_id, msg.reply_count, msg.mention_ids,
  msg.pinned_at`;

/** A `chats` row as raw SQL returns it. */
export interface ChatRow {
  id: bigint;
  kind: string;
  title: string | null;
  created_by: bigint;
  created_at: Date;
  last_seq: number;
  last_activity_at: Date;
}

/** A `chat_members` row as raw SQL returns it. */
export interface MemberRow {
  chat_id: bigint;
  user_id: bigint;
  role: string;
  joined_at: Date;
  last_read_seq: number;
  muted_until?: Date | null;
}

/** A `messages` row as raw SQL returns it. */
export interface MessageRow {
  id: bigint;
  chat_id: bigint;
  seq: number;
  author_id: bigint;
  text: string;
  client_message_id: string;
  created_at: Date;
  edited_at: Date | null;
  deleted_at: Date | null;
  reply_to_id: bigint | null;
  thread_root_id: bigint | null;
  reply_count: number;
  mention_ids: Array<bigint | string>;
  pinned_at: Date | null;
}

/** Maps a `chats` row. */
export function chatFromRow(row: ChatRow): ChatRecord {
  return {
    id: row.id,
    kind: row.kind as ChatKind,
    title: row.title,
    createdBy: row.created_by,
    createdAt: row.created_at,
    lastSeq: row.last_seq,
    lastActivityAt: row.last_activity_at,
  };
}

/** Maps a `chat_members` row. */
export function memberFromRow(row: MemberRow): MemberRecord {
  return {
    chatId: row.chat_id,
    userId: row.user_id,
    role: row.role as ChatRole,
    joinedAt: row.joined_at,
    lastReadSeq: row.last_read_seq,
    ...(row.muted_until !== undefined ? { mutedUntil: row.muted_until } : {}),
  };
}

/** Maps a `messages` row. */
export function messageFromRow(row: MessageRow): MessageRecord {
  return {
    id: row.id,
    chatId: row.chat_id,
    seq: row.seq,
    authorId: row.author_id,
    text: row.text,
    clientMessageId: row.client_message_id,
    createdAt: row.created_at,
    editedAt: row.edited_at,
    deletedAt: row.deleted_at,
    replyToId: row.reply_to_id,
    threadRootId: row.thread_root_id,
    replyCount: row.reply_count,
    mentionIds: (row.mention_ids ?? []).map(BigInt),
    pinnedAt: row.pinned_at,
  };
}

/** A bigint array as a SQL parameter (`::bigint[]`); Prisma sends JS bigints as numerics otherwise. */
export function bigintArray(ids: readonly bigint[]): ChatsPrisma.Sql {
  return ChatsPrisma.sql`${ids.map(String)}::bigint[]`;
}

/** Dates as one `timestamptz[]` SQL parameter (see {@link timestamptz}). */
export function timestamptzArray(ats: readonly Date[]): ChatsPrisma.Sql {
  return ChatsPrisma.sql`${ats.map((at) => at.toISOString())}::timestamptz[]`;
}

/** A Date as a SQL parameter with its time zone (Prisma would send it as a zone-less timestamp). */
export function timestamptz(at: Date): ChatsPrisma.Sql {
  return ChatsPrisma.sql`${at.toISOString()}::timestamptz`;
}

/** A chat row joined with one user's membership (null columns when not a member). */
export interface ViewRow extends ChatRow {
  m_role: string | null;
  m_joined_at: Date | null;
  m_last_read_seq: number | null;
  m_muted_until: Date | null;
  /** The member's unread count (null when not a member). */
  unread: number | null;
}

/**
 * The unread count of member `m` in chat `c`: messages by others after the read marker, not deleted. Four columns of
 * two rows, so it costs the same at any history size (the counters and why they are exact: `UnreadCounters`).
 */
export const UNREAD_COUNT = ChatsPrisma.sql`(c.message_count - m.sent_count - m.read_others - m.unread_deleted)`;

/** The columns of a {@link ViewRow}: a chat `c` LEFT JOIN its member `m`. */
export const VIEW_COLUMNS = ChatsPrisma.sql`${CHAT_COLUMNS}, m.role AS m_role, m.joined_at AS m_joined_at, m.last_read_seq AS m_last_read_seq,
  m.muted_until AS m_muted_until, ${UNREAD_COUNT} AS unread`;

/** A chat as one user sees it (their membership, if any, and the unread count when the row has one). */
export function viewFromRow(row: ViewRow, viewerId: bigint): ChatView {
  return {
    chat: chatFromRow(row),
    membership:
      row.m_role === null
        ? null
        : memberFromRow({
            chat_id: row.id,
            user_id: viewerId,
            role: row.m_role,
            joined_at: row.m_joined_at!,
            last_read_seq: row.m_last_read_seq!,
            muted_until: row.m_muted_until,
          }),
    unreadCount: row.unread ?? 0,
  };
}
