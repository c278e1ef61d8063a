import { ChatsPrisma } from '@chatgraph/db';
import type { ChatRecord, ChatRole, MemberRecord } from './records';
import {
  CHAT_COLUMNS,
  VIEW_COLUMNS,
  bigintArray,
  chatFromRow,
  memberFromRow,
  viewFromRow,
  type ChatRow,
  type MemberRow,
  type SqlRunner,
  type ViewRow,
} from './rows';
import { UnreadCounters } from './UnreadCounters';

/**
 * Row locks and membership reads shared by the chat-changing transactions. What they mean for the caller (NOT_FOUND,
 * FORBIDDEN, who may do what) is decided in `policy/ChatAccess`.
 *
 * Lock order (so that writers cannot deadlock in the common cases): a member row (only when it is about to be deleted)
 * before its chat row. `MessageStore.send` key-share-locks the sender's member row and then updates the chat row;
 * removals lock the removed member's row FOR UPDATE and then the chat row; everything else locks only the chat row.
 */
export const ChatRows = {
  /** Locks the chat row (`FOR UPDATE`) and returns its latest version; null when there is no such chat. */
  async lock(tx: SqlRunner, chatId: bigint): Promise<ChatRecord | null> {
    const rows = await tx.$queryRaw<ChatRow[]>`SELECT ${CHAT_COLUMNS} FROM chats c WHERE c.id = ${chatId} FOR UPDATE`;
    return rows[0] ? chatFromRow(rows[0]) : null;
  },

  /** Locks one member row `FOR UPDATE` (before deleting it) and returns it; null when not a member. */
  async lockMember(tx: SqlRunner, chatId: bigint, userId: bigint): Promise<MemberRecord | null> {
    const rows = await tx.$queryRaw<MemberRow[]>`
      SELECT chat_id, user_id, role, joined_at, last_read_seq FROM chat_members
       WHERE chat_id = ${chatId} AND user_id = ${userId} FOR UPDATE`;
    return rows[0] ? memberFromRow(rows[0]) : null;
  },

  /** The memberships of `userIds` in a chat (missing users are not members). */
  async members(tx: SqlRunner, chatId: bigint, userIds: readonly bigint[]): Promise<Map<bigint, MemberRecord>> {
    const rows = await tx.$queryRaw<MemberRow[]>`
      SELECT chat_id, user_id, role, joined_at, last_read_seq FROM chat_members
       WHERE chat_id = ${chatId} AND user_id = ANY(${bigintArray(userIds)})`;
    return new Map(rows.map((r) => [r.user_id, memberFromRow(r)]));
  },

  /**
   * Inserts memberships (all new: callers hold the chat row lock and checked) and returns them in the given order.
   * A new member's read marker is the chat's `last_seq`: they start with nothing unread (the history stays readable);
   * their `sent_count` counts the messages they sent in an earlier membership (see `UnreadCounters`).
   */
  async insertMembers(
    tx: SqlRunner,
    chatId: bigint,
    members: ReadonlyArray<{ userId: bigint; role: ChatRole }>,
  ): Promise<MemberRecord[]> {
    const sent = UnreadCounters.sentCount(chatId, ChatsPrisma.sql`u.user_id`);
    const rows = await tx.$queryRaw<MemberRow[]>`
      INSERT INTO chat_members (chat_id, user_id, role, joined_at, last_read_seq, sent_count, read_others)
      SELECT c.id, u.user_id, u.role, clock_timestamp(), c.last_seq, s.sent, c.message_count - s.sent
        FROM unnest(${bigintArray(members.map((m) => m.userId))}, ${members.map((m) => m.role)}::text[]) AS u(user_id, role)
        JOIN chats c ON c.id = ${chatId}
        CROSS JOIN LATERAL (SELECT ${sent} AS sent) s
      RETURNING chat_id, user_id, role, joined_at, last_read_seq`;
    const byUser = new Map(rows.map((r) => [r.user_id, memberFromRow(r)]));
    return members.map((m) => byUser.get(m.userId)!);
  },

  /**
   * Whether a chat exists and the user's membership in it (one statement), to explain a refused write (or to answer
   * one that had nothing to write).
   */
  async explain(
    db: SqlRunner,
    chatId: bigint,
    userId: bigint,
  ): Promise<{ chat: ChatRecord | null; membership: MemberRecord | null; unreadCount?: number }> {
    const rows = await db.$queryRaw<ViewRow[]>`
      SELECT ${VIEW_COLUMNS}
        FROM chats c LEFT JOIN chat_members m ON m.chat_id = c.id AND m.user_id = ${userId}
       WHERE c.id = ${chatId}`;
    if (!rows[0]) return { chat: null, membership: null };
    return viewFromRow(rows[0], userId);
  },
};
