import type { ChatsClient, ShardedDatabase } from '@chatgraph/db';
import type { ChatPosition, ChatView, MessageRecord } from './records';
import {
  MESSAGE_COLUMNS,
  VIEW_COLUMNS,
  bigintArray,
  messageFromRow,
  viewFromRow,
  type MessageRow,
  type ViewRow,
} from './rows';
import { UserChatIndex } from './UserChatIndex';

/** A chat of a list page and its position in the list (what its cursor encodes). */
export interface ListedChat {
  /** The chat as the viewer sees it, with `unreadCount` and `lastMessage` read. */
  view: ChatView;
  position: ChatPosition;
}

/** A page of a user's chats. */
export interface ChatPage {
  items: ListedChat[];
  hasNextPage: boolean;
}

/** The newest message of a chat, as columns `lm_*` next to a view row (null columns: no message yet). */
interface LastMessageColumns {
  lm_id: bigint | null;
  lm_seq: number | null;
  lm_author_id: bigint | null;
  lm_text: string | null;
  lm_client_message_id: string | null;
  lm_created_at: Date | null;
  lm_edited_at: Date | null;
  lm_deleted_at: Date | null;
  lm_reply_to_id: bigint | null;
  lm_thread_root_id: bigint | null;
  lm_reply_count: number | null;
  lm_mention_ids: Array<bigint | string> | null;
  lm_pinned_at: Date | null;
}

/**
 * A user's chat list, at a cost that depends on the page size and not on how many chats the user has: the page's
 * positions are an index range scan of the user's `user_chats` rows in activity order (on the user's shard, see
 * {@link UserChatIndex.page}), then ONE statement per chat shard holding some of them reads those chats with the
 * viewer's membership, unread count (four columns, see `UnreadCounters`) and newest message (one index lookup each).
 */
export class ChatList {
  private readonly index: UserChatIndex;

  constructor(private readonly db: ShardedDatabase<ChatsClient>) {
    this.index = new UserChatIndex(db);
  }

  /**
   * Up to `first` chats of the viewer after `after`, newest activity first. Index rows whose membership is gone (the
   * index not repaired yet) drop out; only then is the index read again, past them.
   */
  async page(viewerId: bigint, first: number, after: ChatPosition | null): Promise<ChatPage> {
    const items: ListedChat[] = [];
    let cursor = after;
    while (first > 0) {
      const want = first + 1 - items.length;
      const positions = await this.index.page(viewerId, want, cursor);
      if (positions.length === 0) break;
      const views = await this.views(
        viewerId,
        positions.map((p) => p.chatId),
      );
      for (const position of positions) {
        const view = views.get(position.chatId);
        if (view) items.push({ view, position });
      }
      if (positions.length < want || items.length > first) break;
      cursor = positions[positions.length - 1]!;
    }
    return { items: items.slice(0, first), hasNextPage: items.length > first };
  }

  /** The newest message (deleted or not) of each chat that has one, one statement per shard. */
  async lastMessages(chatIds: readonly bigint[]): Promise<Map<bigint, MessageRecord>> {
    const result = new Map<bigint, MessageRecord>();
    await Promise.all(
      [...this.db.groupByShard(chatIds, (id) => id)].map(async ([shard, ids]) => {
        const rows = await this.db.clientAt(shard).$queryRaw<MessageRow[]>`
          SELECT l.* FROM unnest(${bigintArray(ids)}) AS k(id)
           CROSS JOIN LATERAL (SELECT ${MESSAGE_COLUMNS} FROM messages msg
                                WHERE msg.chat_id = k.id ORDER BY msg.seq DESC LIMIT 1) AS l`;
        for (const row of rows) result.set(row.chat_id, messageFromRow(row));
      }),
    );
    return result;
  }

  /**
   * The chats of which the viewer is a member, with unread count and newest message, one statement per shard. It is
   * driven by the ids (a primary-key lookup each): joining on the viewer's id alone lets the planner read all of the
   * viewer's memberships when its statistics are stale (seen right after a bulk load: O(chats of the viewer)).
   */
  private async views(viewerId: bigint, chatIds: readonly bigint[]): Promise<Map<bigint, ChatView>> {
    const result = new Map<bigint, ChatView>();
    await Promise.all(
      [...this.db.groupByShard(chatIds, (id) => id)].map(async ([shard, ids]) => {
        const rows = await this.db.clientAt(shard).$queryRaw<Array<ViewRow & LastMessageColumns>>`
          SELECT ${VIEW_COLUMNS},
                 lm.id AS lm_id, lm.seq AS lm_seq, lm.author_id AS lm_author_id, lm.text AS lm_text,
                 lm.client_message_id AS lm_client_message_id, lm.created_at AS lm_created_at,
                 lm.edited_at AS lm_edited_at, lm.deleted_at AS lm_deleted_at, lm.reply_to_id AS lm_reply_to_id,
                 lm.thread_root_id AS lm_thread_root_id, lm.reply_count AS lm_reply_count,
                 lm.mention_ids AS lm_mention_ids, lm.pinned_at AS lm_pinned_at
            FROM unnest(${bigintArray(ids)}) AS k(id)
            JOIN chats c ON c.id = k.id
            JOIN chat_members m ON m.chat_id = k.id AND m.user_id = ${viewerId}
            LEFT JOIN LATERAL (SELECT ${MESSAGE_COLUMNS} FROM messages msg
                                WHERE msg.chat_id = c.id ORDER BY msg.seq DESC LIMIT 1) AS lm ON true`;
        for (const row of rows) result.set(row.id, { ...viewFromRow(row, viewerId), lastMessage: lastMessage(row) });
      }),
    );
    return result;
  }
}

function lastMessage(row: ViewRow & LastMessageColumns): MessageRecord | null {
  if (row.lm_id === null) return null;
  return messageFromRow({
    id: row.lm_id,
    chat_id: row.id,
    seq: row.lm_seq!,
    author_id: row.lm_author_id!,
    text: row.lm_text!,
    client_message_id: row.lm_client_message_id!,
    created_at: row.lm_created_at!,
    edited_at: row.lm_edited_at,
    deleted_at: row.lm_deleted_at,
    reply_to_id: row.lm_reply_to_id,
    thread_root_id: row.lm_thread_root_id,
    reply_count: row.lm_reply_count ?? 0,
    mention_ids: row.lm_mention_ids ?? [],
    pinned_at: row.lm_pinned_at,
  });
}
