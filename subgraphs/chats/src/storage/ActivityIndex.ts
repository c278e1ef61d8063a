import { ChatsPrisma, type ChatsClient, type ShardedDatabase } from '@chatgraph/db';
import { bigintArray, timestamptz, timestamptzArray, type SqlRunner } from './rows';

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
  /** Each user shard's touch steps waiting for, or in, its statement. */
  private readonly merged = new Map<number, MergedShardTouches>();

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
   * outbox row unless a later change already recorded a newer time (its own touch deletes it). One step per user
   * shard holding members: those of the other shards first (concurrently), then, once they all succeeded, the chat's
   * own shard, whose members' copies and the outbox row's delete go together (so the row goes only with the last
   * copies, and stays for the repairer when any update failed).
   *
   * The steps of concurrent touches share statements: each shard runs one at a time, and the steps that arrive while
   * it runs go together in its next one (see {@link MergedShardTouches}). An idle shard runs a step at once, so a lone
   * send waits for nothing more; under load a statement carries every send of its moment, so a shard's statements
   * no longer grow with the sends.
   */
  async touch(chatId: bigint, memberIds: readonly bigint[], at: Date): Promise<void> {
    const chatShard = this.db.shardFor(chatId).index;
    const byShard = this.db.groupByShard(memberIds, (id) => id);
    const own = byShard.get(chatShard) ?? [];
    byShard.delete(chatShard);
    await Promise.all(
      [...byShard].map(([shard, userIds]) => this.shardTouches(shard).add({ chatId, userIds, at, clearOutbox: false })),
    );
    await this.shardTouches(chatShard).add({ chatId, userIds: own, at, clearOutbox: true });
  }

  private shardTouches(shard: number): MergedShardTouches {
    let touches = this.merged.get(shard);
    if (!touches) {
      touches = new MergedShardTouches((steps) => runTouchSteps(this.db, shard, steps));
      this.merged.set(shard, touches);
    }
    return touches;
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

/** One chat's part of a touch on one user shard. */
export interface TouchStep {
  chatId: bigint;
  /** Members on this shard whose copies move forward to `at`. */
  userIds: readonly bigint[];
  at: Date;
  /** Also delete the chat's outbox row, unless it records a time after `at` (the chat's own shard, last). */
  clearOutbox: boolean;
}

/**
 * The touch steps of one shard, one statement at a time: a step added while the shard is idle runs at once; the steps
 * added while a statement runs wait and then go together in the next one. Each step's promise settles with the
 * statement that carried it (a failed statement fails every step in it: those chats keep their outbox rows for the
 * repairer).
 */
export class MergedShardTouches {
  private waiting: Array<{ step: TouchStep; resolve: () => void; reject: (err: unknown) => void }> = [];
  private running = false;

  constructor(private readonly run: (steps: readonly TouchStep[]) => Promise<void>) {}

  add(step: TouchStep): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ step, resolve, reject });
      if (!this.running) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.running = true;
    while (this.waiting.length > 0) {
      const batch = this.waiting;
      this.waiting = [];
      try {
        await this.run(batch.map((w) => w.step));
        for (const w of batch) w.resolve();
      } catch (err) {
        for (const w of batch) w.reject(err);
      }
    }
    this.running = false;
  }
}

/**
 * Runs touch steps on user shard `shard` as one statement: every (member, chat) copy moves forward to the newest time
 * any step gives it (rows locked in key order, so two such statements of different processes cannot deadlock over
 * their rows), and the outbox rows of the steps that clear theirs are deleted up to the newest such time per chat. Prepared
 * (see `preparedStatements`) and run on the shard's driver adapter (see `AdapterStatements`): every message send runs
 * it.
 */
async function runTouchSteps(db: ShardedDatabase<ChatsClient>, shard: number, steps: readonly TouchStep[]) {
  const copies = new Map<string, { userId: bigint; chatId: bigint; at: Date }>();
  const clears = new Map<bigint, Date>();
  for (const step of steps) {
    for (const userId of step.userIds) {
      const key = `${userId}:${step.chatId}`;
      const copy = copies.get(key);
      if (!copy || copy.at < step.at) copies.set(key, { userId, chatId: step.chatId, at: step.at });
    }
    const cleared = clears.get(step.chatId);
    if (step.clearOutbox && (!cleared || cleared < step.at)) clears.set(step.chatId, step.at);
  }
  const pairs = [...copies.values()];
  await db.statementsAt(shard).execute(ChatsPrisma.sql`/* prepared: touch_activities */
    WITH v AS (
      SELECT * FROM unnest(${bigintArray(pairs.map((p) => p.userId))}, ${bigintArray(pairs.map((p) => p.chatId))},
                           ${timestamptzArray(pairs.map((p) => p.at))}) AS v(user_id, chat_id, at)
    ), locked AS (
      SELECT u.user_id, u.chat_id, v.at FROM user_chats u
        JOIN v ON u.user_id = v.user_id AND u.chat_id = v.chat_id
       WHERE u.last_activity_at < v.at
       ORDER BY u.user_id, u.chat_id
         FOR UPDATE OF u
    ), moved AS (
      UPDATE user_chats u SET last_activity_at = l.at
        FROM locked l
       WHERE u.user_id = l.user_id AND u.chat_id = l.chat_id AND u.last_activity_at < l.at
    )
    DELETE FROM activity_outbox o
     USING unnest(${bigintArray([...clears.keys()])}, ${timestamptzArray([...clears.values()])}) AS c(chat_id, at)
     WHERE o.chat_id = c.chat_id AND o.at <= c.at`);
}
