import { ChatsPrisma } from '@chatgraph/db';
import type { MessageRecord } from './records';
import type { SqlRunner } from './rows';

type Sql = ChatsPrisma.Sql;

/**
 * The counters behind unread counts. A member's unread count is
 *
 *     chats.message_count − chat_members.sent_count − chat_members.read_others − chat_members.unread_deleted
 *
 * (`UNREAD_COUNT` in rows.ts): every message by others, minus those at or before the read marker, minus the deleted
 * ones after it. Reading it is four columns of two rows; no write touches more than the rows it must:
 *
 * - **send** (one statement, `MessageStore.send`): `message_count + 1` on the chat row it already updates and
 *   `sent_count + 1` on the author's member row; the message keeps both new values as its `chat_ordinal` and
 *   `author_ordinal`. No other member's row is written, however big the group.
 * - **markRead to seq N**: `read_others` = chat ordinal − author ordinal of the newest message at or before N (one
 *   index lookup each: exact for any N), `unread_deleted` = deleted messages by others after N (a partial index of
 *   deleted messages only). See {@link readOthersAt} and {@link deletedAfter}.
 * - **delete**: `unread_deleted + 1` for the members (not the author) whose marker is before the message
 *   ({@link messageDeleted}); deletes are rare, sends are not.
 * - **edit**: nothing.
 * - **join** (and re-join): the marker starts at the chat's `last_seq`, so a new member has nothing unread;
 *   `sent_count` is the author ordinal of their newest message in the chat (messages of an earlier membership stay
 *   theirs).
 *
 * Concurrency: sends and deletes of a chat hold its row lock, so `message_count` and the ordinals follow seq order.
 * `read_others` depends only on N (messages at or before a committed seq never change their ordinals). Only
 * `unread_deleted` can race a concurrent delete: markRead therefore locks the member row first and counts in a
 * later statement, so a delete either committed before the count (and is in it) or waits for the lock and then
 * sees the new marker (`MembershipStore.markRead`).
 */
export const UnreadCounters = {
  /** Messages by others than `userId` at or before `seq`: all of them minus the user's own (an index lookup each). */
  readOthersAt(chatId: bigint, userId: Sql, seq: Sql): Sql {
    return ChatsPrisma.sql`(coalesce((SELECT x.chat_ordinal FROM messages x
                                       WHERE x.chat_id = ${chatId} AND x.seq <= ${seq}
                                       ORDER BY x.seq DESC LIMIT 1), 0)
                          - coalesce((SELECT x.author_ordinal FROM messages x
                                       WHERE x.chat_id = ${chatId} AND x.author_id = ${userId} AND x.seq <= ${seq}
                                       ORDER BY x.seq DESC LIMIT 1), 0))`;
  },

  /** Deleted messages by others than `userId` after `seq` (the partial index holds deleted messages only). */
  deletedAfter(chatId: bigint, userId: Sql, seq: Sql): Sql {
    return ChatsPrisma.sql`(SELECT count(*)::int FROM messages x
                             WHERE x.chat_id = ${chatId} AND x.seq > ${seq} AND x.deleted_at IS NOT NULL
                               AND x.author_id <> ${userId})`;
  },

  /** How many messages `userId` has sent in `chatId` (the author ordinal of their newest). */
  sentCount(chatId: bigint, userId: Sql): Sql {
    return ChatsPrisma.sql`coalesce((SELECT x.author_ordinal FROM messages x
                                      WHERE x.chat_id = ${chatId} AND x.author_id = ${userId}
                                      ORDER BY x.seq DESC LIMIT 1), 0)`;
  },

  /**
   * A message was just deleted (in this transaction, under the chat row lock): it no longer counts for the members
   * who had not read it. Its author never counted it.
   */
  async messageDeleted(tx: SqlRunner, message: MessageRecord): Promise<void> {
    await tx.$executeRaw`
      UPDATE chat_members SET unread_deleted = unread_deleted + 1
       WHERE chat_id = ${message.chatId} AND user_id <> ${message.authorId} AND last_read_seq < ${message.seq}::int`;
  },
};
