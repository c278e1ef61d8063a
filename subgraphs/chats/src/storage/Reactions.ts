import type { ChatsClient, ShardedDatabase } from '@chatgraph/db';
import { userError } from '@chatgraph/errors';
import { ChatAccess } from '../policy/ChatAccess';
import { EventLog } from './EventLog';
import { REACTION_USERS_SHOWN, type CommitListener, type MessageRecord, type ReactionGroupRecord } from './records';
import { MESSAGE_COLUMNS, bigintArray, messageFromRow, type MessageRow, type SqlRunner } from './rows';
import { runTransaction } from './runTransaction';

/** Most distinct emoji on one message (adding one more is LIMIT_EXCEEDED; reacting with one already there is fine). */
export const MAX_DISTINCT_EMOJI = 20;

interface GroupRow {
  message_id: bigint;
  emoji: string;
  count: number;
  viewer_reacted: boolean;
  user_ids: Array<bigint | string>;
}

/**
 * Reactions: a user's emoji on a message, one row per (message, emoji, user) on the message's shard, so adding twice
 * is one reaction and removing twice removes one. Every change that happened appends REACTION_ADDED or
 * REACTION_REMOVED (with the emoji) to the chat's log under the chat row lock, like edits.
 */
export const Reactions = {
  /**
   * The reactions of messages grouped by emoji (first reacted first), with counts, the first users and whether
   * `viewerId` reacted (false for null): one statement on one shard.
   */
  async groups(
    db: SqlRunner,
    messageIds: readonly bigint[],
    viewerId: bigint | null,
  ): Promise<Map<bigint, ReactionGroupRecord[]>> {
    const viewer = viewerId === null ? null : viewerId.toString();
    const rows = await db.$queryRaw<GroupRow[]>`
      SELECT r.message_id, r.emoji, count(*)::int AS count, coalesce(bool_or(r.user_id = ${viewer}::bigint), false)
               AS viewer_reacted,
             (array_agg(r.user_id ORDER BY r.created_at, r.user_id))[1:${REACTION_USERS_SHOWN}::int] AS user_ids
        FROM message_reactions r
       WHERE r.message_id = ANY(${bigintArray(messageIds)})
       GROUP BY r.message_id, r.emoji
       ORDER BY r.message_id, min(r.created_at), r.emoji`;
    const result = new Map<bigint, ReactionGroupRecord[]>();
    for (const row of rows) {
      const list = result.get(row.message_id) ?? [];
      list.push({
        emoji: row.emoji,
        count: row.count,
        userIds: row.user_ids.map(BigInt),
        viewerReacted: row.viewer_reacted,
      });
      result.set(row.message_id, list);
    }
    return result;
  },
};

/** Adding and removing reactions (see {@link Reactions}). */
export class ReactionStore {
  constructor(
    private readonly db: ShardedDatabase<ChatsClient>,
    private readonly feed: CommitListener,
  ) {}

  /** Reaction groups of messages on any shards, one statement per shard. */
  async groups(messageIds: readonly bigint[], viewerId: bigint | null): Promise<Map<bigint, ReactionGroupRecord[]>> {
    const result = new Map<bigint, ReactionGroupRecord[]>();
    await Promise.all(
      [...this.db.groupByShard(messageIds, (id) => id)].map(async ([shard, ids]) => {
        for (const [id, groups] of await Reactions.groups(this.db.clientAt(shard), ids, viewerId))
          result.set(id, groups);
      }),
    );
    return result;
  }

  /** Adds (`add`) or removes the viewer's reaction with `emoji`; returns the message. Idempotent both ways. */
  async react(actorId: bigint, messageId: bigint, emoji: string, add: boolean): Promise<MessageRecord> {
    const result = await runTransaction(this.db.clientFor(messageId), async (tx) => {
      const locked = await tx.$queryRaw<Array<{ id: bigint }>>`
        SELECT id FROM chats WHERE id = (SELECT chat_id FROM messages WHERE id = ${messageId}) FOR UPDATE`;
      if (!locked[0]) throw userError('NOT_FOUND', `There is no message with id ${messageId}.`, { field: 'messageId' });
      const rows = await tx.$queryRaw<
        Array<MessageRow & { role: string | null; distinct_emoji: number; has_emoji: boolean; mine: boolean }>
      >`
        SELECT ${MESSAGE_COLUMNS}, m.role, r.distinct_emoji, r.has_emoji, r.mine
          FROM messages msg
          LEFT JOIN chat_members m ON m.chat_id = msg.chat_id AND m.user_id = ${actorId}
          CROSS JOIN LATERAL (
            SELECT count(DISTINCT x.emoji)::int AS distinct_emoji, coalesce(bool_or(x.emoji = ${emoji}), false) AS has_emoji,
                   coalesce(bool_or(x.emoji = ${emoji} AND x.user_id = ${actorId}), false) AS mine
              FROM message_reactions x WHERE x.message_id = msg.id) r
         WHERE msg.id = ${messageId}`;
      const row = rows[0]!;
      if (row.role === null) throw ChatAccess.notMember();
      const message = messageFromRow(row);
      if (message.deletedAt) throw userError('CONFLICT', 'This message was deleted; it cannot get reactions.');
      if (row.mine === add) return { message, change: null };
      if (add && !row.has_emoji && row.distinct_emoji >= MAX_DISTINCT_EMOJI)
        throw userError(
          'LIMIT_EXCEEDED',
          `A message has at most ${MAX_DISTINCT_EMOJI} different reactions; react with one it already has.`,
          { limit: MAX_DISTINCT_EMOJI },
        );
      if (add)
        await tx.$executeRaw`
          INSERT INTO message_reactions (message_id, emoji, user_id) VALUES (${messageId}, ${emoji}, ${actorId})`;
      else
        await tx.$executeRaw`
          DELETE FROM message_reactions WHERE message_id = ${messageId} AND emoji = ${emoji} AND user_id = ${actorId}`;
      const reactions = (await Reactions.groups(tx, [messageId], null)).get(messageId) ?? [];
      const appended = await EventLog.append(tx, {
        chatId: message.chatId,
        actorId,
        touch: false,
        events: [{ type: add ? 'REACTION_ADDED' : 'REACTION_REMOVED', message, emoji, reactions }],
      });
      return { message, change: { ...appended, removedIds: [] } };
    });
    if (result.change) await this.feed.committed(result.change);
    return result.message;
  }
}
