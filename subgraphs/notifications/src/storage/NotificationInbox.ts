import { NotificationsPrisma, type NotificationsClient, type ShardedDatabase } from '@chatgraph/db';
import { isUniqueViolation } from '@chatgraph/service';
import { logicalShardOf } from '@chatgraph/ids';
import { EMAIL_KINDS } from '../policy/alertPolicy';
import type { NewNotification, NotificationRecord } from './records';
import { NOTIFICATION_COLUMNS, bigintArray, notificationFromRow, type NotificationRow } from './rows';

/** Attempts of one shard's statement when concurrent deliveries of its events commit first (see `addOnShard`). */
const MAX_ATTEMPTS_ON_DUPLICATE = 5;

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
   * Adds the notifications of one chat event, or of the events a worker handles together (at most one per recipient
   * and event; recipients on any shards): one statement per shard, which commits on its own. Within a shard it skips
   * recipients that already have a notification for the event, and gives each new one the recipient's next seq from
   * the recipient's inbox row, locked (created on first use) in id order, so concurrent writes wait for each other and
   * never deadlock: seqs follow commit order, with no gaps even when an event is delivered twice.
   */
  async add(items: readonly NewNotification[]): Promise<AddedNotifications> {
    const result: AddedNotifications = { notifications: [], added: new Set() };
    const byShard = this.db.groupByShard(items, (i) => i.recipientId);
    await Promise.all(
      [...byShard].map(async ([shard, group]) => {
        const rows = await this.addOnShard(shard, group);
        for (const row of rows) {
          const record = notificationFromRow(row);
          result.notifications.push(record);
          if (row.added) result.added.add(record.id);
        }
      }),
    );
    result.notifications.sort((a, b) => (a.recipientId < b.recipientId ? -1 : a.recipientId > b.recipientId ? 1 : 0));
    return result;
  }

  /**
   * The statement of {@link add} on one shard, with every notification it has for the items (new ones flagged
   * `added`). Its snapshot is taken before it waits for an inbox row's lock: a concurrent delivery of the same event
   * that commits meanwhile makes the insert a unique violation (nothing of it is kept, no seq is spent), and the
   * statement runs again, seeing that delivery's notifications (up to {@link MAX_ATTEMPTS_ON_DUPLICATE} times in
   * all). Every notification a worker adds goes through here, so it is prepared and runs on the shard's driver adapter
   * (see `AdapterStatements`).
   */
  private async addOnShard(
    shard: number,
    items: readonly NewNotification[],
  ): Promise<Array<NotificationRow & { added: boolean }>> {
    const statement = NotificationsPrisma.sql`/* prepared: add_notifications */
      WITH input AS (
        SELECT * FROM unnest(${bigintArray(items.map((i) => i.recipientId))},
                             ${items.map((i) => logicalShardOf(i.recipientId))}::int[],
                             ${items.map((i) => i.kind)}::text[],
                             ${bigintArray(items.map((i) => i.chatId))},
                             ${items.map((i) => i.eventSeq)}::int[],
                             ${items.map((i) => i.messageId?.toString() ?? null)}::bigint[],
                             ${bigintArray(items.map((i) => i.actorId))})
                 AS i(recipient_id, logical_shard, kind, chat_id, event_seq, message_id, actor_id)
      ), existing AS (
        SELECT ${NOTIFICATION_COLUMNS}
          FROM notifications n
          JOIN input i ON n.recipient_id = i.recipient_id AND n.chat_id = i.chat_id AND n.event_seq = i.event_seq
      ), fresh AS (
        SELECT i.*, row_number() OVER (PARTITION BY i.recipient_id ORDER BY i.chat_id, i.event_seq)::int AS n
          FROM input i
         WHERE NOT EXISTS (SELECT 1 FROM existing x
                            WHERE x.recipient_id = i.recipient_id AND x.chat_id = i.chat_id
                              AND x.event_seq = i.event_seq)
      ), counts AS (
        SELECT recipient_id, count(*)::int AS added FROM fresh GROUP BY recipient_id
      ), bump AS (
        INSERT INTO notification_inboxes AS b (user_id, last_seq)
        SELECT recipient_id, added FROM counts ORDER BY recipient_id
        ON CONFLICT (user_id) DO UPDATE SET last_seq = b.last_seq + excluded.last_seq
        RETURNING b.user_id, b.last_seq
      ), inserted AS (
        INSERT INTO notifications AS n (id, recipient_id, seq, kind, chat_id, event_seq, message_id, actor_id,
                                        created_at, email_pending)
        SELECT chatgraph_next_id(f.logical_shard), f.recipient_id, bump.last_seq - c.added + f.n, f.kind, f.chat_id,
               f.event_seq, f.message_id, f.actor_id, clock_timestamp(), f.kind = ANY(${[...EMAIL_KINDS]}::text[])
          FROM fresh f
          JOIN counts c ON c.recipient_id = f.recipient_id
          JOIN bump ON bump.user_id = f.recipient_id
        RETURNING ${NOTIFICATION_COLUMNS}
      )
      SELECT *, true AS added FROM inserted
      UNION ALL
      SELECT *, false AS added FROM existing
      ORDER BY recipient_id, seq`;
    const statements = this.db.statementsAt(shard);
    for (let attempt = 1; ; attempt++) {
      try {
        return await statements.rows<NotificationRow & { added: boolean }>(statement);
      } catch (err) {
        // A concurrent delivery of one of these events committed first. Each attempt's snapshot sees every delivery
        // that beat the one before, so a few attempts outlast the concurrent writers of a redelivered window.
        if (
          attempt < MAX_ATTEMPTS_ON_DUPLICATE &&
          isUniqueViolation(err, 'notifications_recipient_id_chat_id_event_seq_key')
        )
          continue;
        throw err;
      }
    }
  }

  /** Records that Web Push was dealt with for a notification (sent or not needed). */
  async markPushed(id: bigint): Promise<void> {
    await this.db.clientFor(id).$executeRaw`
      UPDATE notifications SET pushed_at = clock_timestamp() WHERE id = ${id} AND pushed_at IS NULL`;
  }
}
