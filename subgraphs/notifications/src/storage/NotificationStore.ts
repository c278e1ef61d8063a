import type { NotificationsClient, ShardedDatabase } from '@chatgraph/db';
import type { NotificationRecord } from './records';
import { NOTIFICATION_COLUMNS, bigintArray, notificationFromRow, type NotificationRow } from './rows';

/** A page of a recipient's inbox, newest first, and whether older notifications exist beyond it. */
export interface NotificationPage {
  notifications: NotificationRecord[];
  hasMore: boolean;
}

/**
 * The read side of a recipient's inbox and the read markers (what the subgraph serves). Everything of a recipient
 * lives on the shard of their id, so each call is one statement on one shard.
 *
 * The inbox page, the unread count and lookups by id run on a read replica when one may serve them
 * (`ShardedDatabase.readFor`: it replayed the viewer's own writes, e.g. their marking as read, and is at most
 * REPLICA_MAX_LAG_MS behind); an id a replica does not have yet is looked up on the primary. The replay of the live
 * stream (`since`) and the push worker's lookup read the primary: they must see every commit.
 */
export class NotificationStore {
  constructor(readonly db: ShardedDatabase<NotificationsClient>) {}

  /** The recipient's notifications with a seq below `beforeSeq` (all when null), newest first. */
  async page(
    recipientId: bigint,
    options: { limit: number; beforeSeq: number | null; unreadOnly: boolean },
  ): Promise<NotificationPage> {
    const rows = await this.db.readFor(
      recipientId,
      (client) => client.$queryRaw<NotificationRow[]>`
        SELECT ${NOTIFICATION_COLUMNS} FROM notifications n
         WHERE n.recipient_id = ${recipientId} AND n.seq < ${options.beforeSeq ?? 2_147_483_647}::int
           AND (NOT ${options.unreadOnly}::boolean OR n.read_at IS NULL)
         ORDER BY n.seq DESC LIMIT ${options.limit + 1}::int`,
    );
    return {
      notifications: rows.slice(0, options.limit).map(notificationFromRow),
      hasMore: rows.length > options.limit,
    };
  }

  /** The recipient's notifications after `afterSeq`, oldest first (the replay of `notificationAdded`). */
  async since(recipientId: bigint, afterSeq: number, limit: number): Promise<NotificationRecord[]> {
    const rows = await this.db.clientFor(recipientId).$queryRaw<NotificationRow[]>`
      SELECT ${NOTIFICATION_COLUMNS} FROM notifications n
       WHERE n.recipient_id = ${recipientId} AND n.seq > ${afterSeq}::int
       ORDER BY n.seq LIMIT ${limit}::int`;
    return rows.map(notificationFromRow);
  }

  /** How many of the recipient's notifications are unread. */
  async unreadCount(recipientId: bigint): Promise<number> {
    const rows = await this.db.readFor(
      recipientId,
      (client) => client.$queryRaw<Array<{ n: number }>>`
        SELECT count(*)::int AS n FROM notifications WHERE recipient_id = ${recipientId} AND read_at IS NULL`,
    );
    return rows[0]?.n ?? 0;
  }

  /** The notifications with these ids that belong to `recipientId` (others are left out). */
  async byIds(recipientId: bigint, ids: readonly bigint[]): Promise<Map<bigint, NotificationRecord>> {
    const select = (client: NotificationsClient, wanted: readonly bigint[]) => client.$queryRaw<NotificationRow[]>`
      SELECT ${NOTIFICATION_COLUMNS} FROM notifications n
       WHERE n.recipient_id = ${recipientId} AND n.id = ANY(${bigintArray(wanted)})`;
    const found = new Map((await this.db.readFor(recipientId, (c) => select(c, ids))).map((r) => [r.id, r]));
    const missing = ids.filter((id) => !found.has(id));
    if (missing.length && this.db.hasReplicas) {
      for (const row of await select(this.db.clientFor(recipientId), missing)) found.set(row.id, row);
    }
    return new Map([...found].map(([id, row]) => [id, notificationFromRow(row)]));
  }

  /** A notification by id, whoever it belongs to (the push worker's lookup). */
  async byId(id: bigint): Promise<NotificationRecord | null> {
    const rows = await this.db.clientFor(id).$queryRaw<NotificationRow[]>`
      SELECT ${NOTIFICATION_COLUMNS} FROM notifications n WHERE n.id = ${id}`;
    return rows[0] ? notificationFromRow(rows[0]) : null;
  }

  /** Marks unread notifications read: the given ones of the recipient, or all of them; returns how many changed. */
  async markRead(recipientId: bigint, ids: readonly bigint[] | 'all'): Promise<number> {
    const client = this.db.clientFor(recipientId);
    if (ids === 'all') {
      return client.$executeRaw`
        UPDATE notifications SET read_at = clock_timestamp()
         WHERE recipient_id = ${recipientId} AND read_at IS NULL`;
    }
    return client.$executeRaw`
      UPDATE notifications SET read_at = clock_timestamp()
       WHERE recipient_id = ${recipientId} AND id = ANY(${bigintArray(ids)}) AND read_at IS NULL`;
  }
}
