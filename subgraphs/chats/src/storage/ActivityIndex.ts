import { ChatsPrisma, type ChatsClient, type ShardedDatabase } from '@chatgraph/db';
import { bigintArray, timestamptz, type SqlRunner } from './rows';

/**
 * Keeps the activity order of the user → chats index (`user_chats.last_activity_at`, on each USER's shard) in step
 * with the chats' `last_activity_at` (on the CHAT's shard), so that a page of a user's chats is an index range scan
 * of that page alone (`UserChatIndex.page`).
 *
 * Moving a chat to the top of its members' lists is a write per member. It is done after the commit, not in it: the
 * send statement stays one statement on one shard that writes no other member's row, and a big group's fan-out never
 * holds the chat's row lock. Durability comes from `activity_outbox` (one row per chat): the transaction that moves
 * `last_activity_at` upserts it, {@link touch} deletes it once the members' copies have the new time, and
 * {@link repair} applies rows that a crash left behind. Copies only move forward (`greatest`), so appliers may run
 * in any order and more than once; they only update rows that exist, so they never bring back a removed member's
 * row (`UserChatIndex.apply` creates and deletes rows, and catches up with activity that raced it).
 */
export class ActivityIndex {
  constructor(private readonly db: ShardedDatabase<ChatsClient>) {}

  /** Records, in the transaction that moved it, that the chat's activity time must reach its members' lists. */
  static async record(tx: SqlRunner, chatId: bigint, at: Date): Promise<void> {
    await tx.$executeRaw`
      INSERT INTO activity_outbox (chat_id, at) VALUES (${chatId}, ${timestamptz(at)})
      ON CONFLICT (chat_id) DO UPDATE SET at = greatest(activity_outbox.at, excluded.at)`;
  }

  /** Brings `userIds`' copies of the chat's activity forward to `at` (one statement per user shard). */
  static async bringForward(
    db: ShardedDatabase<ChatsClient>,
    chatId: bigint,
    userIds: readonly bigint[],
    at: Date,
  ): Promise<void> {
    await Promise.all(
      [...db.groupByShard(userIds, (id) => id)].map(([shard, ids]) =>
        ActivityIndex.bringForwardAt(db, shard, chatId, ids, at),
      ),
    );
  }

  /** Brings the copies of `userIds`, all on physical shard `shard`, forward to `at` (one statement). */
  private static async bringForwardAt(
    db: ShardedDatabase<ChatsClient>,
    shard: number,
    chatId: bigint,
    userIds: readonly bigint[],
    at: Date,
  ): Promise<void> {
    await db.statementsAt(shard).execute(ChatsPrisma.sql`/* prepared: bring_activity_forward */
      UPDATE user_chats SET last_activity_at = ${timestamptz(at)}
       WHERE user_id = ANY(${bigintArray(userIds)}) AND chat_id = ${chatId} AND last_activity_at < ${timestamptz(at)}`);
  }

  /**
   * After a commit that moved the chat's activity to `at`: brings the members' copies forward, then deletes the chat's
   * outbox row unless a later change already recorded a newer time (its own touch deletes it). One statement per user
   * shard holding members: those of the other shards first (concurrently), then, once they all succeeded, the chat's
   * own shard, whose members' copies and the outbox row's delete are one statement (so the row goes only with the last
   * copies, and stays for the repairer when any update failed). Every message send runs these, so they are prepared
   * (see `preparedStatements`) and run on the shards' driver adapters, past the Prisma client's cost per call (see
   * `AdapterStatements`).
   */
  async touch(chatId: bigint, memberIds: readonly bigint[], at: Date): Promise<void> {
    const chatShard = this.db.shardFor(chatId).index;
    const byShard = this.db.groupByShard(memberIds, (id) => id);
    const own = byShard.get(chatShard) ?? [];
    byShard.delete(chatShard);
    await Promise.all(
      [...byShard].map(([shard, ids]) => ActivityIndex.bringForwardAt(this.db, shard, chatId, ids, at)),
    );
    await this.db.statementsAt(chatShard).execute(ChatsPrisma.sql`/* prepared: touch_activity */
      WITH moved AS (
        UPDATE user_chats SET last_activity_at = ${timestamptz(at)}
         WHERE user_id = ANY(${bigintArray(own)}) AND chat_id = ${chatId} AND last_activity_at < ${timestamptz(at)}
      )
      DELETE FROM activity_outbox WHERE chat_id = ${chatId} AND at <= ${timestamptz(at)}`);
  }

  /**
   * Applies up to `limit` outbox rows of chat shard `shardIndex` older than `olderThanMs` (younger ones belong to the
   * request that wrote them), from the chats' current activity and members. Returns how many rows it applied.
   */
  async repair(shardIndex: number, olderThanMs: number, limit: number): Promise<number> {
    const rows = await this.db.clientAt(shardIndex).$queryRaw<
      Array<{ chat_id: bigint; last_activity_at: Date | null; member_ids: bigint[] | null }>
    >`
      SELECT o.chat_id, c.last_activity_at,
             (SELECT array_agg(m.user_id) FROM chat_members m WHERE m.chat_id = o.chat_id) AS member_ids
        FROM activity_outbox o LEFT JOIN chats c ON c.id = o.chat_id
       WHERE o.at < now() - make_interval(secs => ${olderThanMs / 1000}::float8)
       ORDER BY o.at
       LIMIT ${limit}::int`;
    for (const row of rows) {
      if (row.last_activity_at === null) {
        await this.db.clientAt(shardIndex).$executeRaw`DELETE FROM activity_outbox WHERE chat_id = ${row.chat_id}`;
        continue;
      }
      await this.touch(row.chat_id, (row.member_ids ?? []).map(BigInt), row.last_activity_at);
    }
    return rows.length;
  }
}
