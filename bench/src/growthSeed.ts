import { randomInt } from 'node:crypto';
import type { ChatsClient, ShardedDatabase } from '@chatgraph/db';
import {
  ID_EPOCH_MS,
  LOGICAL_SHARDS,
  SEQUENCE_BITS,
  SEQUENCES_PER_MS,
  SHARD_BITS,
  composeId,
  logicalShardOf,
} from '@chatgraph/ids';

/**
 * Writes chats, members, messages, events and index rows in bulk, row for row as the chats service writes them
 * (`MessageStore.send`, `ChatStore.createGroup`, `UserChatIndex.apply`, the unread counters), so the growth scenario
 * can measure a chat with a million messages and a user with ten thousand chats without sending them one by one.
 * The scenario then checks, through the gateway, that the service reads them back as it would its own (unread counts,
 * order, newest message).
 *
 * Ids are composed like `chatgraph_next_id` makes them, on a clock of their own that starts an hour in the past and
 * advances one millisecond per 1,024 ids, so they never meet the ids the service makes during the run.
 */
export class GrowthSeed {
  private nextId = 0;
  private readonly baseMs = BigInt(Date.now() - 3_600_000);

  constructor(private readonly db: ShardedDatabase<ChatsClient>) {}

  /**
   * Appends `count` messages to a chat, alternately by `authors[0]` and `authors[1]` (members of the chat), in batches:
   * seqs and chat ordinals after the chat's, author ordinals after each author's `sent_count`, one MESSAGE_ADDED
   * event each, then the chat's `last_seq`, `message_count`, `last_activity_at` and the authors' `sent_count` (what
   * the send statement does per message), and the members' index copies of the activity time.
   */
  async appendMessages(chatId: bigint, authors: readonly [bigint, bigint], count: number, batch = 100_000) {
    const client = this.db.clientFor(chatId);
    const logical = logicalShardOf(chatId);
    for (let done = 0; done < count; done += batch) {
      const n = Math.min(batch, count - done);
      const start = this.take(n);
      await client.$executeRaw`
        WITH c AS (SELECT last_seq, message_count FROM chats WHERE id = ${chatId}),
        a AS (SELECT user_id, sent_count FROM chat_members
               WHERE chat_id = ${chatId} AND user_id = ANY(${authors.map(String)}::bigint[])),
        r AS MATERIALIZED (
          SELECT g, c.last_seq + g AS seq, c.message_count + g AS chat_ordinal,
                 (${authors.map(String)}::bigint[])[1 + g % 2] AS author_id,
                 (((${this.baseMs}::bigint + (${start}::bigint + g - 1) / ${SEQUENCES_PER_MS}::bigint
                    - ${ID_EPOCH_MS}::bigint) << ${SHARD_BITS + SEQUENCE_BITS}::int)
                  | (${logical}::bigint << ${SEQUENCE_BITS}::int)
                  | ((${start}::bigint + g - 1) % ${SEQUENCES_PER_MS}::bigint)) AS id
            FROM c, generate_series(1, ${n}::int) AS g
        ), msg AS (
          INSERT INTO messages (id, chat_id, seq, author_id, text, client_message_id, created_at, chat_ordinal,
                                author_ordinal)
          SELECT r.id, ${chatId}, r.seq, r.author_id, 'Growth message number ' || r.seq || ', with some text.',
                 'g' || r.seq, clock_timestamp(), r.chat_ordinal, a.sent_count + (r.g + 1) / 2
            FROM r JOIN a ON a.user_id = r.author_id
        ), ev AS (
          INSERT INTO chat_events (chat_id, seq, type, actor_id, message_id, at)
          SELECT ${chatId}, r.seq, 'MESSAGE_ADDED', r.author_id, r.id, clock_timestamp() FROM r
        ), bump AS (
          UPDATE chats SET last_seq = last_seq + ${n}::int, message_count = message_count + ${n}::int,
                           last_activity_at = clock_timestamp()
           WHERE id = ${chatId}
        )
        UPDATE chat_members m SET sent_count = m.sent_count + (SELECT count(*)::int FROM r WHERE r.author_id = m.user_id)
         WHERE m.chat_id = ${chatId} AND m.user_id = ANY(${authors.map(String)}::bigint[])`;
    }
    await this.copyActivity(chatId);
  }

  /**
   * Creates `count` group chats of `owner` with `member` (created as `createGroupChat` does: OWNER and MEMBER, read
   * markers at 0, two MEMBER_ADDED events), each with `messagesPerChat` messages by the owner, on random logical
   * shards, each with its own activity time (the newest last), and both users' `user_chats` rows. Returns the chat
   * ids, oldest activity first.
   */
  async createChats(owner: bigint, member: bigint, count: number, messagesPerChat: number): Promise<bigint[]> {
    const base = Date.now() - 1_800_000;
    const chats = Array.from({ length: count }, (_, i) => {
      const logicalShard = randomInt(LOGICAL_SHARDS);
      return { id: this.compose(logicalShard), logicalShard, at: new Date(base + i * 10) };
    });
    const m = messagesPerChat;
    await Promise.all(
      [...this.db.groupByShard(chats, (c) => c.id)].map(async ([shard, group]) => {
        const messages = group.flatMap((c) =>
          Array.from({ length: m }, (_, k) => ({ id: this.compose(c.logicalShard), chatId: c.id, k: k + 1 })),
        );
        await this.db.clientAt(shard).$executeRaw`
          WITH ch AS (
            INSERT INTO chats (id, kind, title, created_by, created_at, last_seq, last_activity_at, message_count)
            SELECT t.id, 'GROUP', 'growth ' || t.id, ${owner}, t.at, ${2 + m}::int, t.at, ${m}::int
              FROM unnest(${group.map((c) => c.id.toString())}::bigint[],
                          ${group.map((c) => c.at.toISOString())}::timestamptz[]) AS t(id, at)
            RETURNING id, created_at
          ), people AS (
            SELECT * FROM (VALUES (1, ${owner}::bigint, 'OWNER', ${m}::int), (2, ${member}::bigint, 'MEMBER', 0))
                   AS p(seq, user_id, role, sent)
          ), mem AS (
            INSERT INTO chat_members (chat_id, user_id, role, joined_at, last_read_seq, sent_count, read_others)
            SELECT ch.id, p.user_id, p.role, ch.created_at, 0, p.sent, 0 FROM ch CROSS JOIN people p
          ), added AS (
            INSERT INTO chat_events (chat_id, seq, type, actor_id, member_user_id, member_role, member_joined_at,
                                     member_last_read_seq, at)
            SELECT ch.id, p.seq, 'MEMBER_ADDED', ${owner}, p.user_id, p.role, ch.created_at, 0, ch.created_at
              FROM ch CROSS JOIN people p
          ), msg AS (
            INSERT INTO messages (id, chat_id, seq, author_id, text, client_message_id, created_at, chat_ordinal,
                                  author_ordinal)
            SELECT x.id, x.chat_id, 2 + x.k, ${owner}, 'Message ' || x.k || ' of a growth chat.', 'g' || x.k,
                   ch.created_at, x.k, x.k
              FROM unnest(${messages.map((x) => x.id.toString())}::bigint[],
                          ${messages.map((x) => x.chatId.toString())}::bigint[], ${messages.map((x) => x.k)}::int[])
                   AS x(id, chat_id, k)
              JOIN ch ON ch.id = x.chat_id
            RETURNING id, chat_id, seq, created_at
          )
          INSERT INTO chat_events (chat_id, seq, type, actor_id, message_id, at)
          SELECT chat_id, seq, 'MESSAGE_ADDED', ${owner}, id, created_at FROM msg`;
      }),
    );
    for (const userId of [owner, member]) {
      await this.db.clientFor(userId).$executeRaw`
        INSERT INTO user_chats (user_id, chat_id, joined_at, last_activity_at)
        SELECT ${userId}, t.id, t.at, t.at
          FROM unnest(${chats.map((c) => c.id.toString())}::bigint[],
                      ${chats.map((c) => c.at.toISOString())}::timestamptz[]) AS t(id, at)`;
    }
    return chats.map((c) => c.id);
  }

  /**
   * Refreshes the planner's statistics of the tables written in bulk, as autovacuum does some time after a load:
   * measurements then see the plans of a database in its steady state, not whichever plan stale statistics give.
   */
  async analyze(): Promise<void> {
    await Promise.all(
      this.db
        .all()
        .map(({ client }) =>
          client.$executeRawUnsafe('ANALYZE chats, chat_members, messages, chat_events, user_chats'),
        ),
    );
  }

  /** Brings the members' `user_chats` copies of a chat's activity time forward (what the service does after a send). */
  private async copyActivity(chatId: bigint): Promise<void> {
    const rows = await this.db.clientFor(chatId).$queryRaw<Array<{ user_id: bigint; at: Date }>>`
      SELECT m.user_id, c.last_activity_at AS at FROM chat_members m JOIN chats c ON c.id = m.chat_id
       WHERE m.chat_id = ${chatId}`;
    for (const row of rows) {
      await this.db.clientFor(row.user_id).$executeRaw`
        UPDATE user_chats SET last_activity_at = ${row.at.toISOString()}::timestamptz
         WHERE user_id = ${row.user_id} AND chat_id = ${chatId}`;
    }
  }

  private take(n: number): number {
    const start = this.nextId;
    this.nextId += n;
    return start;
  }

  private compose(logicalShard: number): bigint {
    const k = this.take(1);
    return composeId({
      timeMs: Number(this.baseMs) + Math.floor(k / SEQUENCES_PER_MS),
      logicalShard,
      sequence: k % SEQUENCES_PER_MS,
    });
  }
}
