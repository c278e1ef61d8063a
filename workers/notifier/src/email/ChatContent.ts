import type { ChatsClient, ShardedDatabase } from '@chatgraph/db';
import type { NotificationRecord } from '@chatgraph/notifications';

/** A notified message as it is now, seen from its recipient. */
export interface MessageNow {
  text: string;
  deleted: boolean;
  /** The message's position in its chat. */
  seq: number;
  createdAt: Date;
  chatKind: 'DIRECT' | 'GROUP';
  chatTitle: string | null;
  /** Up to where the recipient read the chat (`markRead`); null when they are no longer a member. */
  lastReadSeq: number | null;
}

interface MessageRow {
  id: bigint;
  text: string;
  deleted: boolean;
  seq: number;
  created_at: Date;
  kind: 'DIRECT' | 'GROUP';
  title: string | null;
  last_read_seq: number | null;
}

/**
 * Reads the messages of notifications from the chats shards (the notifier reads the chats databases already, for the
 * event log and mentions): text, deletion, and the recipient's read marker, in one statement per chats shard.
 */
export class ChatContent {
  constructor(private readonly chats: ShardedDatabase<ChatsClient>) {}

  /** The messages of `notifications` (those that have one), by message id, as `recipientId` would see them. */
  async messagesFor(
    recipientId: bigint,
    notifications: readonly NotificationRecord[],
  ): Promise<Map<bigint, MessageNow>> {
    const out = new Map<bigint, MessageNow>();
    const withMessage = notifications.filter((n) => n.messageId !== null);
    const byShard = this.chats.groupByShard(withMessage, (n) => n.chatId);
    await Promise.all(
      [...byShard].map(async ([shard, group]) => {
        const ids = group.map((n) => n.messageId!.toString());
        const rows = await this.chats.clientAt(shard).$queryRaw<MessageRow[]>`
          SELECT m.id, m.text, m.deleted_at IS NOT NULL AS deleted, m.seq, m.created_at, c.kind, c.title, cm.last_read_seq
            FROM messages m
            JOIN chats c ON c.id = m.chat_id
            LEFT JOIN chat_members cm ON cm.chat_id = m.chat_id AND cm.user_id = ${recipientId}
           WHERE m.id = ANY(${ids}::bigint[])`;
        for (const r of rows) {
          out.set(r.id, {
            text: r.text,
            deleted: r.deleted,
            seq: r.seq,
            createdAt: r.created_at,
            chatKind: r.kind,
            chatTitle: r.title,
            lastReadSeq: r.last_read_seq,
          });
        }
      }),
    );
    return out;
  }
}
