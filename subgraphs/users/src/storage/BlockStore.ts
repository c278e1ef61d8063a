import type { ShardedDatabase, UsersClient } from '@chatgraph/db';

/** Most users one account may block. */
export const MAX_BLOCKS = 1000;

/** Blocks between users, each on the blocker's shard (see the `user_blocks` migration). */
export class BlockStore {
  constructor(private readonly db: ShardedDatabase<UsersClient>) {}

  /** Records that `blockerId` blocked `blockedId` (idempotent); false when the blocker is at {@link MAX_BLOCKS}. */
  async block(blockerId: bigint, blockedId: bigint): Promise<boolean> {
    const rows = await this.db.clientFor(blockerId).$queryRaw<Array<{ ok: boolean }>>`
      WITH existing AS (SELECT count(*)::int AS n FROM user_blocks WHERE blocker_id = ${blockerId}),
      ins AS (
        INSERT INTO user_blocks (blocker_id, blocked_id)
        SELECT ${blockerId}, ${blockedId} FROM existing WHERE existing.n < ${MAX_BLOCKS}::int
        ON CONFLICT DO NOTHING
        RETURNING 1
      )
      SELECT EXISTS (SELECT 1 FROM ins)
             OR EXISTS (SELECT 1 FROM user_blocks WHERE blocker_id = ${blockerId} AND blocked_id = ${blockedId})
             AS ok`;
    return rows[0]?.ok ?? false;
  }

  /** Removes the block, if any. */
  async unblock(blockerId: bigint, blockedId: bigint): Promise<void> {
    await this.db.clientFor(blockerId).$executeRaw`
      DELETE FROM user_blocks WHERE blocker_id = ${blockerId} AND blocked_id = ${blockedId}`;
  }

  /** Whom `blockerId` blocked, earliest first (one statement). */
  async blockedBy(blockerId: bigint): Promise<bigint[]> {
    const rows = await this.db.clientFor(blockerId).$queryRaw<Array<{ blocked_id: bigint }>>`
      SELECT blocked_id FROM user_blocks WHERE blocker_id = ${blockerId} ORDER BY created_at, blocked_id`;
    return rows.map((r) => r.blocked_id);
  }

  /** Those of `userIds` who blocked `targetId`: one statement per shard holding some of them. */
  async whoBlocked(targetId: bigint, userIds: readonly bigint[]): Promise<bigint[]> {
    const found: bigint[] = [];
    await Promise.all(
      [...this.db.groupByShard(userIds, (id) => id)].map(async ([shard, ids]) => {
        const rows = await this.db.clientAt(shard).$queryRaw<Array<{ blocker_id: bigint }>>`
          SELECT blocker_id FROM user_blocks
           WHERE blocked_id = ${targetId} AND blocker_id = ANY(${ids.map(String)}::bigint[])`;
        for (const row of rows) found.push(row.blocker_id);
      }),
    );
    return found;
  }
}
