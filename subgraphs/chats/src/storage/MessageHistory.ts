import { ChatsPrisma, type ChatsClient, type ShardedDatabase } from '@chatgraph/db';
import type { MessageRecord } from './records';
import { MESSAGE_COLUMNS, bigintArray, messageFromRow, type MessageRow } from './rows';

/** Which way a history page goes from its cursor. */
export interface MessagePageRequest {
  /** `forward`: oldest first after `cursorSeq`; `backward`: the newest before `cursorSeq`. */
  direction: 'forward' | 'backward';
  /** Page size (0..100). */
  limit: number;
  /** Exclusive bound (seq) or null for the start (forward) / end (backward) of the history. */
  cursorSeq: number | null;
}

/** A page of history, oldest first, and whether more exist beyond it in its direction. */
export interface MessagePage {
  messages: MessageRecord[];
  hasMore: boolean;
}

/** Where {@link MessageHistory} reads: a read replica when one may serve the read, or always the primary. */
export type HistoryReads = 'replicas' | 'primary';

/**
 * Reading messages: by id, a chat's history or a thread's replies a page at a time (one statement on one shard), and
 * the pinned messages of chats (one statement per shard). Writes are {@link MessageStore}'s.
 *
 * With `replicas` (what resolvers use) each statement runs where `ShardedDatabase.readAt` sends it: a read replica
 * that replayed the viewer's own writes, else the primary. The send path's reads after a commit use a `primary`
 * instance (an event must carry what was committed, whoever sent it).
 */
export class MessageHistory {
  constructor(
    private readonly db: ShardedDatabase<ChatsClient>,
    private readonly reads: HistoryReads = 'replicas',
  ) {}

  private read<T>(shard: number, fn: (client: ChatsClient) => Promise<T>): Promise<T> {
    return this.reads === 'replicas' ? this.db.readAt(shard, fn) : fn(this.db.clientAt(shard));
  }

  /**
   * Messages by id, one statement per shard (ids a replica does not have yet, just sent by someone else, are looked
   * up on the primary: a message that exists is never reported missing).
   */
  async byIds(ids: readonly bigint[]): Promise<Map<bigint, MessageRecord>> {
    const result = new Map<bigint, MessageRecord>();
    const select = (client: ChatsClient, group: bigint[]) => client.$queryRaw<MessageRow[]>`
      SELECT ${MESSAGE_COLUMNS} FROM messages msg WHERE msg.id = ANY(${bigintArray(group)})`;
    await Promise.all(
      [...this.db.groupByShard(ids, (id) => id)].map(async ([shard, group]) => {
        for (const row of await this.read(shard, (client) => select(client, group)))
          result.set(row.id, messageFromRow(row));
        const missing = group.filter((id) => !result.has(id));
        if (missing.length && this.reads === 'replicas' && this.db.hasReplicas) {
          for (const row of await select(this.db.clientAt(shard), missing)) result.set(row.id, messageFromRow(row));
        }
      }),
    );
    return result;
  }

  /** A page of a chat's history by seq (one statement); see {@link MessagePageRequest}. */
  page(chatId: bigint, request: MessagePageRequest): Promise<MessagePage> {
    return this.pageWhere(chatId, ChatsPrisma.sql`msg.chat_id = ${chatId}`, request);
  }

  /**
   * A page of the replies of thread root `rootId` by seq, oldest first (one statement on its chat's shard, a range
   * of `messages_thread_root_id_seq_idx`).
   */
  replies(rootId: bigint, request: MessagePageRequest): Promise<MessagePage> {
    return this.pageWhere(rootId, ChatsPrisma.sql`msg.thread_root_id = ${rootId}`, request);
  }

  /** The pinned messages of each chat, most recently pinned first, one statement per shard. */
  async pinned(chatIds: readonly bigint[]): Promise<Map<bigint, MessageRecord[]>> {
    const result = new Map<bigint, MessageRecord[]>(chatIds.map((id) => [id, []]));
    await Promise.all(
      [...this.db.groupByShard(chatIds, (id) => id)].map(async ([shard, ids]) => {
        const rows = await this.read(
          shard,
          (client) => client.$queryRaw<MessageRow[]>`
            SELECT ${MESSAGE_COLUMNS} FROM messages msg
             WHERE msg.chat_id = ANY(${bigintArray(ids)}) AND msg.pinned_at IS NOT NULL
             ORDER BY msg.pinned_at DESC, msg.seq DESC`,
        );
        for (const row of rows) result.get(row.chat_id)?.push(messageFromRow(row));
      }),
    );
    return result;
  }

  private async pageWhere(shardKey: bigint, where: ChatsPrisma.Sql, request: MessagePageRequest): Promise<MessagePage> {
    const { limit } = request;
    if (limit === 0) return { messages: [], hasMore: false };
    const shard = this.db.shardFor(shardKey).index;
    let rows: MessageRow[];
    if (request.direction === 'forward') {
      rows = await this.read(
        shard,
        (client) => client.$queryRaw<MessageRow[]>`
          SELECT ${MESSAGE_COLUMNS} FROM messages msg
           WHERE ${where} AND msg.seq > ${request.cursorSeq ?? 0}::int
           ORDER BY msg.seq LIMIT ${limit + 1}::int`,
      );
    } else {
      rows = await this.read(
        shard,
        (client) => client.$queryRaw<MessageRow[]>`
          SELECT ${MESSAGE_COLUMNS} FROM messages msg
           WHERE ${where} AND msg.seq < ${request.cursorSeq ?? 2_147_483_647}::int
           ORDER BY msg.seq DESC LIMIT ${limit + 1}::int`,
      );
      rows.reverse();
    }
    const hasMore = rows.length > limit;
    const page = hasMore
      ? request.direction === 'forward'
        ? rows.slice(0, limit)
        : rows.slice(rows.length - limit)
      : rows;
    return { messages: page.map(messageFromRow), hasMore };
  }
}
