import type { NotificationsClient, ShardedDatabase } from '@chatgraph/db';
import { logicalShardOf } from '@chatgraph/ids';
import { EMAIL_KINDS } from '../policy/alertPolicy';
import type { NewNotification, NotificationRecord } from './records';
import { NOTIFICATION_COLUMNS, bigintArray, notificationFromRow, type NotificationRow } from './rows';

/** What {@link NotificationInbox.add} did for one event: every notification the event has, and which are new. */
export interface AddedNotifications {
  /** The event's notifications for the recipients asked for (new ones and those an earlier delivery added). */
  notifications: NotificationRecord[];
  /** Ids of the notifications this call added. */
  added: Set<bigint>;
}

/**
 * The write side of the inbox (used by the notifier workers). Adding is idempotent on the event's identity: a
 * recipient has at most one notification per chat event (`UNIQUE (recipient_id, chat_id, event_seq)`), so a
 * redelivered event adds nothing and returns what the first delivery added. The kinds that have missed-message
 * emails start out `email_pending` (see MissedMessageBatches).
 */
export class NotificationInbox {
  constructor(private readonly db: ShardedDatabase<NotificationsClient>) {}

  /**
   * Adds the notifications of one chat event (at most one per recipient; recipients on any shards), one transaction
   * per shard. Within a shard it locks the recipients' inbox rows in id order (concurrent events wait for each other,
   * never deadlock), skips recipients that already have a notification for the event, and gives each new one the
   * recipient's next seq: seqs follow commit order, with no gaps even when an event is delivered twice.
   */
  async add(items: readonly NewNotification[]): Promise<AddedNotifications> {
    const result: AddedNotifications = { notifications: [], added: new Set() };
    const byShard = this.db.groupByShard(items, (i) => i.recipientId);
    await Promise.all(
      [...byShard].map(async ([shard, group]) => {
        const rows = await this.addOnShard(this.db.clientAt(shard), group);
        for (const { row, added } of rows) {
          const record = notificationFromRow(row);
          result.notifications.push(record);
          if (added) result.added.add(record.id);
        }
      }),
    );
    result.notifications.sort((a, b) => (a.recipientId < b.recipientId ? -1 : a.recipientId > b.recipientId ? 1 : 0));
    return result;
  }

  private addOnShard(
    client: NotificationsClient,
    items: readonly NewNotification[],
  ): Promise<Array<{ row: NotificationRow; added: boolean }>> {
    const recipients = [...new Set(items.map((i) => i.recipientId))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return client.$transaction(async (tx) => {
      await tx.$executeRaw`
        INSERT INTO notification_inboxes (user_id)
        SELECT u FROM unnest(${bigintArray(recipients)}) AS u ORDER BY u
        ON CONFLICT (user_id) DO NOTHING`;
      await tx.$queryRaw`
        SELECT user_id FROM notification_inboxes WHERE user_id = ANY(${bigintArray(recipients)})
         ORDER BY user_id FOR UPDATE`;
      // A fresh statement after the locks: it sees every notification committed for these recipients.
      const inserted = await tx.$queryRaw<Array<{ id: bigint }>>`
        WITH input AS (
          SELECT * FROM unnest(${bigintArray(items.map((i) => i.recipientId))},
                               ${items.map((i) => logicalShardOf(i.recipientId))}::int[],
                               ${items.map((i) => i.kind)}::text[],
                               ${bigintArray(items.map((i) => i.chatId))},
                               ${items.map((i) => i.eventSeq)}::int[],
                               ${items.map((i) => i.messageId?.toString() ?? null)}::bigint[],
                               ${bigintArray(items.map((i) => i.actorId))})
                   AS i(recipient_id, logical_shard, kind, chat_id, event_seq, message_id, actor_id)
        ), fresh AS (
          SELECT i.*, row_number() OVER (PARTITION BY i.recipient_id ORDER BY i.chat_id, i.event_seq)::int AS n
            FROM input i
           WHERE NOT EXISTS (SELECT 1 FROM notifications x
                              WHERE x.recipient_id = i.recipient_id AND x.chat_id = i.chat_id
                                AND x.event_seq = i.event_seq)
        ), counts AS (
          SELECT recipient_id, count(*)::int AS added FROM fresh GROUP BY recipient_id
        ), bump AS (
          UPDATE notification_inboxes b SET last_seq = b.last_seq + c.added
            FROM counts c WHERE b.user_id = c.recipient_id
          RETURNING b.user_id, b.last_seq - c.added AS base
        )
        INSERT INTO notifications (id, recipient_id, seq, kind, chat_id, event_seq, message_id, actor_id, created_at,
                                   email_pending)
        SELECT chatgraph_next_id(f.logical_shard), f.recipient_id, bump.base + f.n, f.kind, f.chat_id, f.event_seq,
               f.message_id, f.actor_id, clock_timestamp(), f.kind = ANY(${[...EMAIL_KINDS]}::text[])
          FROM fresh f JOIN bump ON bump.user_id = f.recipient_id
        RETURNING id`;
      const added = new Set(inserted.map((r) => r.id));
      const rows = await tx.$queryRaw<NotificationRow[]>`
        SELECT ${NOTIFICATION_COLUMNS}
          FROM notifications n
          JOIN unnest(${bigintArray(items.map((i) => i.recipientId))}, ${bigintArray(items.map((i) => i.chatId))},
                      ${items.map((i) => i.eventSeq)}::int[]) AS k(recipient_id, chat_id, event_seq)
            ON n.recipient_id = k.recipient_id AND n.chat_id = k.chat_id AND n.event_seq = k.event_seq
         ORDER BY n.recipient_id, n.seq`;
      return rows.map((row) => ({ row, added: added.has(row.id) }));
    });
  }

  /** Records that Web Push was dealt with for a notification (sent or not needed). */
  async markPushed(id: bigint): Promise<void> {
    await this.db.clientFor(id).$executeRaw`
      UPDATE notifications SET pushed_at = clock_timestamp() WHERE id = ${id} AND pushed_at IS NULL`;
  }
}
