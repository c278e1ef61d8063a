import { ChatsPrisma, type ChatsClient, type ShardedDatabase } from '@chatgraph/db';
import type { MessageRecord } from './records';
import { MESSAGE_COLUMNS, bigintArray, messageFromRow, type MessageRow } from './rows';

/** A page of search results, newest first, and whether more match beyond it. */
export interface SearchPage {
  messages: MessageRecord[];
  hasMore: boolean;
}

/** What to search (see {@link MessageSearch.search}). */
export interface SearchRequest {
  viewerId: bigint;
  /** The words to find (`websearch_to_tsquery` syntax: words, "a phrase", -excluded, or). */
  query: string;
  /** Only this chat (the caller checked the viewer is a member); null: every chat of the viewer. */
  chatId: bigint | null;
  limit: number;
  /** Only messages with a smaller id (the previous page's last one); null from the newest. */
  beforeId: bigint | null;
}

type HitRow = MessageRow & { chat_ids?: Array<bigint | string> | null };

/**
 * Full-text search over messages: each shard's `messages.search` (a tsvector generated from the current text with
 * the `simple` configuration, GIN-indexed) matched by `websearch_to_tsquery('simple', query)`; deleted messages have
 * no text and are never found. Results are newest first (by id, which starts with its creation time) and paged by
 * the last id. Membership is checked on each chat's own shard (`chat_members`, the truth for access) in the same
 * statement as the match.
 *
 * Across all the viewer's chats each shard is asked once per page: the viewer's own shard first, in one statement
 * that reads their chat list (`user_chats`) and the matches among the chats stored there, then, in parallel, every
 * other shard holding some of those chats; the per-shard pages are merged.
 *
 * Searches run on read replicas when one may serve them (`ShardedDatabase.readAt`: it replayed the viewer's own
 * writes and is at most REPLICA_MAX_LAG_MS behind): the membership filter then applies to that consistent, slightly
 * older snapshot, so a member removed within that bound may still find what they could read just before.
 */
export class MessageSearch {
  constructor(private readonly db: ShardedDatabase<ChatsClient>) {}

  async search(request: SearchRequest): Promise<SearchPage> {
    const { viewerId, limit } = request;
    if (limit === 0) return { messages: [], hasMore: false };
    if (request.chatId !== null) {
      const chatId = request.chatId;
      const rows = await this.db.readFor(
        chatId,
        (client) => client.$queryRaw<HitRow[]>`
          SELECT ${MESSAGE_COLUMNS} FROM messages msg
           WHERE ${this.matches(request, ChatsPrisma.sql`msg.chat_id = ${chatId}`)}
           ORDER BY msg.id DESC LIMIT ${limit + 1}::int`,
      );
      return this.merge([rows], limit);
    }
    const home = this.db.shardFor(viewerId).index;
    const first = await this.db.readAt(
      home,
      (client) => client.$queryRaw<HitRow[]>`
        WITH mine AS (SELECT chat_id FROM user_chats WHERE user_id = ${viewerId})
        SELECT ids.chat_ids, hit.*
          FROM (SELECT coalesce(array_agg(chat_id), '{}') AS chat_ids FROM mine) ids
          LEFT JOIN LATERAL (
            SELECT ${MESSAGE_COLUMNS} FROM messages msg
             WHERE ${this.matches(request, ChatsPrisma.sql`msg.chat_id IN (SELECT chat_id FROM mine)`)}
             ORDER BY msg.id DESC LIMIT ${limit + 1}::int) hit ON true`,
    );
    const chatIds = (first[0]?.chat_ids ?? []).map(BigInt);
    const others = [...this.db.groupByShard(chatIds, (id) => id)].filter(([shard]) => shard !== home);
    const pages = await Promise.all(
      others.map(([shard, ids]) =>
        this.db.readAt(
          shard,
          (client) => client.$queryRaw<HitRow[]>`
            SELECT ${MESSAGE_COLUMNS} FROM messages msg
             WHERE ${this.matches(request, ChatsPrisma.sql`msg.chat_id = ANY(${bigintArray(ids)})`)}
             ORDER BY msg.id DESC LIMIT ${limit + 1}::int`,
        ),
      ),
    );
    return this.merge([first.filter((row) => row.id !== null), ...pages], limit);
  }

  /** The match, the page bound and the viewer's membership in the message's chat. */
  private matches(request: SearchRequest, chats: ChatsPrisma.Sql): ChatsPrisma.Sql {
    const before = request.beforeId === null ? null : request.beforeId.toString();
    return ChatsPrisma.sql`${chats}
      AND msg.search @@ websearch_to_tsquery('simple', ${request.query})
      AND msg.deleted_at IS NULL
      AND (${before}::bigint IS NULL OR msg.id < ${before}::bigint)
      AND EXISTS (SELECT 1 FROM chat_members m WHERE m.chat_id = msg.chat_id AND m.user_id = ${request.viewerId})`;
  }

  private merge(pages: HitRow[][], limit: number): SearchPage {
    const all = pages.flat().sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
    return { messages: all.slice(0, limit).map(messageFromRow), hasMore: all.length > limit };
  }
}
