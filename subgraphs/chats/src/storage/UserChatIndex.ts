import { ChatsPrisma, type ChatsClient, type ShardedDatabase } from '@chatgraph/db';
import { ActivityIndex } from './ActivityIndex';
import type { ChatPosition } from './records';
import { bigintArray, timestamptz } from './rows';

interface OutboxRow {
  id: bigint;
  user_id: bigint;
  chat_id: bigint;
}

/** Which outbox rows of a chat shard to apply. */
export type OutboxSelector = { ids: readonly bigint[] } | { olderThanMs: number; limit: number };

// Advisory lock class for "(user, chat) index entry being synchronised" (two-int form, so it cannot collide with
// the single-bigint advisory locks of the migration runner).
const INDEX_LOCK_CLASS = 0x4347_4958; // 'CGIX'

/**
 * The user → chats index (`user_chats`, on each USER's shard), which `myChats` reads so that listing a user's chats
 * never asks every shard.
 *
 * Membership (on the CHAT's shard) is the truth; the index follows it through an outbox: a membership change writes
 * `index_outbox` rows in the same transaction as the change, and after the commit {@link apply} brings the users'
 * index rows in line and deletes the outbox rows. If the process dies in between, the outbox rows survive and
 * `IndexRepairer` replays them, so the two shards cannot disagree for good.
 *
 * Applying does not trust the recorded op: it re-reads the membership under a per-(user, chat) advisory lock and
 * writes what is true now. Two appliers racing on the same pair (a post-commit apply and the repairer, or a remove
 * applied after a later re-add) therefore cannot leave a stale state behind: whoever takes the lock last reads the
 * latest membership. Outbox rows are claimed with `FOR UPDATE SKIP LOCKED`, so any number of appliers (several chats
 * instances, each with a repairer) can run at once without waiting on each other.
 */
export class UserChatIndex {
  constructor(private readonly db: ShardedDatabase<ChatsClient>) {}

  /** Every chat of a user, from the index on the user's shard (one statement). */
  async chatIdsOf(userId: bigint): Promise<bigint[]> {
    const rows = await this.db.clientFor(userId).$queryRaw<Array<{ chat_id: bigint }>>`
      SELECT chat_id FROM user_chats WHERE user_id = ${userId}`;
    return rows.map((r) => r.chat_id);
  }

  /**
   * Up to `limit` of a user's chats, newest activity first, after `after` (one statement on the user's shard: an
   * index range scan that reads these rows and no others, however many chats the user has). The positions are the
   * index's copies of the chats' activity times (see `ActivityIndex`).
   */
  async page(userId: bigint, limit: number, after: ChatPosition | null): Promise<ChatPosition[]> {
    const cursor = after
      ? ChatsPrisma.sql`AND (last_activity_at, chat_id) < (${timestamptz(after.lastActivityAt)}, ${after.chatId})`
      : ChatsPrisma.empty;
    const rows = await this.db.clientFor(userId).$queryRaw<Array<{ chat_id: bigint; last_activity_at: Date }>>`
      SELECT chat_id, last_activity_at FROM user_chats
       WHERE user_id = ${userId} ${cursor}
       ORDER BY last_activity_at DESC, chat_id DESC
       LIMIT ${limit}::int`;
    return rows.map((r) => ({ chatId: r.chat_id, lastActivityAt: r.last_activity_at }));
  }

  /**
   * Applies outbox rows of chat shard `shardIndex` to the users' shards and deletes them. Returns how many rows were
   * applied (rows locked by another applier are skipped: that one applies them).
   */
  async apply(shardIndex: number, selector: OutboxSelector): Promise<number> {
    if ('ids' in selector && selector.ids.length === 0) return 0;
    return this.db.clientAt(shardIndex).$transaction(
      async (tx) => {
        const claimed = await this.claim(tx, selector);
        if (claimed.length === 0) return 0;
        const pairs = uniquePairs(claimed);
        // In key order, so that two appliers never wait for each other's locks in opposite orders.
        await tx.$queryRaw`
          SELECT count(pg_advisory_xact_lock(${INDEX_LOCK_CLASS}::int, k.key))
            FROM (SELECT DISTINCT hashtext(p.user_id::text || ':' || p.chat_id::text) AS key
                    FROM unnest(${bigintArray(pairs.map((p) => p.userId))}, ${bigintArray(pairs.map((p) => p.chatId))})
                         AS p(user_id, chat_id)
                   ORDER BY 1) AS k`;
        const members = await tx.$queryRaw<Array<{ user_id: bigint; chat_id: bigint; last_activity_at: Date }>>`
          SELECT m.user_id, m.chat_id, c.last_activity_at
            FROM chat_members m
            JOIN unnest(${bigintArray(pairs.map((p) => p.userId))}, ${bigintArray(pairs.map((p) => p.chatId))})
                 AS p(user_id, chat_id) ON m.user_id = p.user_id AND m.chat_id = p.chat_id
            JOIN chats c ON c.id = m.chat_id`;
        const present = new Set(members.map((m) => `${m.user_id}:${m.chat_id}`));
        const activity = new Map(members.map((m) => [m.chat_id, m.last_activity_at]));
        const byUserShard = this.db.groupByShard(pairs, (p) => p.userId);
        await Promise.all(
          [...byUserShard].map(([userShard, group]) => {
            const add = group.filter((p) => present.has(`${p.userId}:${p.chatId}`));
            const remove = group.filter((p) => !present.has(`${p.userId}:${p.chatId}`));
            return this.db.clientAt(userShard).$executeRaw`
              WITH removed AS (
                DELETE FROM user_chats uc
                 USING unnest(${bigintArray(remove.map((p) => p.userId))}, ${bigintArray(remove.map((p) => p.chatId))})
                       AS r(user_id, chat_id)
                 WHERE uc.user_id = r.user_id AND uc.chat_id = r.chat_id
              )
              INSERT INTO user_chats (user_id, chat_id, last_activity_at)
              SELECT a.user_id, a.chat_id, a.at
                FROM unnest(${bigintArray(add.map((p) => p.userId))}, ${bigintArray(add.map((p) => p.chatId))},
                            ${add.map((p) => activity.get(p.chatId)!.toISOString())}::timestamptz[])
                     AS a(user_id, chat_id, at)
              ON CONFLICT (user_id, chat_id) DO UPDATE
                SET last_activity_at = greatest(user_chats.last_activity_at, excluded.last_activity_at)`;
          }),
        );
        // A send that committed after the read above may have brought the members' copies forward before these rows
        // existed; reading the activity again now (a new statement sees it) closes that gap.
        await this.catchUpActivity(
          tx,
          pairs.filter((p) => present.has(`${p.userId}:${p.chatId}`)),
          activity,
        );
        await tx.$executeRaw`DELETE FROM index_outbox WHERE id = ANY(${bigintArray(claimed.map((r) => r.id))})`;
        return claimed.length;
      },
      { timeout: 30_000, maxWait: 10_000 },
    );
  }

  private async catchUpActivity(
    tx: ChatsPrisma.TransactionClient,
    added: readonly Pair[],
    read: Map<bigint, Date>,
  ): Promise<void> {
    if (added.length === 0) return;
    const now = await tx.$queryRaw<Array<{ id: bigint; last_activity_at: Date }>>`
      SELECT id, last_activity_at FROM chats WHERE id = ANY(${bigintArray([...new Set(added.map((p) => p.chatId))])})`;
    const moved = now.filter((c) => c.last_activity_at.getTime() > read.get(c.id)!.getTime());
    await Promise.all(
      moved.map((c) =>
        ActivityIndex.bringForward(
          this.db,
          c.id,
          added.filter((p) => p.chatId === c.id).map((p) => p.userId),
          c.last_activity_at,
        ),
      ),
    );
  }

  private claim(tx: ChatsPrisma.TransactionClient, selector: OutboxSelector): Promise<OutboxRow[]> {
    if ('ids' in selector) {
      return tx.$queryRaw<OutboxRow[]>`
        SELECT id, user_id, chat_id FROM index_outbox
         WHERE id = ANY(${bigintArray(selector.ids)})
         ORDER BY id
         FOR UPDATE SKIP LOCKED`;
    }
    return tx.$queryRaw<OutboxRow[]>`
      SELECT id, user_id, chat_id FROM index_outbox
       WHERE created_at < now() - make_interval(secs => ${selector.olderThanMs / 1000}::float8)
       ORDER BY id
       LIMIT ${selector.limit}::int
       FOR UPDATE SKIP LOCKED`;
  }
}

interface Pair {
  userId: bigint;
  chatId: bigint;
}

function uniquePairs(rows: OutboxRow[]): Pair[] {
  const seen = new Map<string, Pair>();
  for (const r of rows) seen.set(`${r.user_id}:${r.chat_id}`, { userId: r.user_id, chatId: r.chat_id });
  return [...seen.values()].sort((a, b) =>
    a.userId !== b.userId ? (a.userId < b.userId ? -1 : 1) : a.chatId < b.chatId ? -1 : a.chatId > b.chatId ? 1 : 0,
  );
}
