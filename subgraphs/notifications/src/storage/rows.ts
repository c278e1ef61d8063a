import { NotificationsPrisma } from '@chatgraph/db';
import type { NotificationKind, NotificationRecord } from './records';

/** What runs SQL: a shard's client or a transaction on it. */
export type SqlRunner = Pick<NotificationsPrisma.TransactionClient, '$queryRaw' | '$executeRaw'>;

/** The columns of a notification, as {@link notificationFromRow} reads them (table alias `n`). */
export const NOTIFICATION_COLUMNS = NotificationsPrisma.sql`n.id, n.recipient_id, n.seq, n.kind, n.chat_id, n.event_seq,
  n.message_id, n.actor_id, n.created_at, n.read_at, n.pushed_at`;

/** A row of {@link NOTIFICATION_COLUMNS}. */
export interface NotificationRow {
  id: bigint;
  recipient_id: bigint;
  seq: number;
  kind: string;
  chat_id: bigint;
  event_seq: number;
  message_id: bigint | null;
  actor_id: bigint;
  created_at: Date;
  read_at: Date | null;
  pushed_at: Date | null;
}

/** A notification row as a record. */
export function notificationFromRow(row: NotificationRow): NotificationRecord {
  return {
    id: row.id,
    recipientId: row.recipient_id,
    seq: row.seq,
    kind: row.kind as NotificationKind,
    chatId: row.chat_id,
    eventSeq: row.event_seq,
    messageId: row.message_id,
    actorId: row.actor_id,
    createdAt: row.created_at,
    readAt: row.read_at,
    pushedAt: row.pushed_at,
  };
}

/** A bigint[] parameter (Prisma binds bigint arrays as text[] otherwise). */
export function bigintArray(ids: readonly bigint[]): NotificationsPrisma.Sql {
  return NotificationsPrisma.sql`${ids.map(String)}::bigint[]`;
}
