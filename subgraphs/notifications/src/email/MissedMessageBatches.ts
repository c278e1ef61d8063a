import type { NotificationsClient, ShardedDatabase } from '@chatgraph/db';
import { logicalShardOf } from '@chatgraph/ids';
import type { NotificationRecord } from '../storage/records';
import { NOTIFICATION_COLUMNS, bigintArray, notificationFromRow, type NotificationRow } from '../storage/rows';

/** One missed-message email, claimed by a notifier. */
export interface ClaimedBatch {
  id: bigint;
  recipientId: bigint;
  /** The notifications it is about (taken from the pending ones when it was made). */
  notificationIds: bigint[];
  /** Its Message-ID header (`<email-batch.{id}@domain>`), the same on every attempt. */
  messageId: string;
  /** Attempts so far, this one included. */
  attempts: number;
}

/** How a batch ended. */
export type BatchOutcome = { status: 'SENT' } | { status: 'SKIPPED'; reason: string };

interface BatchRow {
  id: bigint;
  recipient_id: bigint;
  notification_ids: bigint[];
  message_id: string;
  attempts: number;
}

/** Most notifications one email is about (older pending ones beyond it go in the next email). */
export const MAX_NOTIFICATIONS_PER_EMAIL = 50;

/**
 * The missed-message email log. DIRECT_MESSAGE and MENTION notifications start out `email_pending`. Once a
 * recipient's oldest pending notification has waited the delay, {@link claim} takes every pending one of theirs into
 * a CLAIMED batch (one transaction: a notification is in at most one batch, ever). The notifier then checks them
 * again, sends one email with the batch's Message-ID and {@link finish}es it as SENT or SKIPPED. A notifier that dies
 * in between leaves the batch CLAIMED until its lease ends; {@link reclaimExpired} hands it to another notifier,
 * which sends it again with the same Message-ID (at least once, never a second batch for the same notifications).
 */
export class MissedMessageBatches {
  constructor(
    private readonly db: ShardedDatabase<NotificationsClient>,
    /** The domain of Message-IDs. */
    private readonly messageIdDomain: string,
  ) {}

  /** Recipients on one shard with a pending notification older than `delayMs`, at most `limit` of them. */
  async dueRecipients(shard: number, delayMs: number, limit: number): Promise<bigint[]> {
    const rows = await this.db.clientAt(shard).$queryRaw<Array<{ recipient_id: bigint }>>`
      SELECT DISTINCT recipient_id FROM (
        SELECT recipient_id FROM notifications
         WHERE email_pending AND created_at <= clock_timestamp() - ${delayMs}::int * interval '1 millisecond'
         ORDER BY created_at LIMIT ${limit * 10}) due
       LIMIT ${limit}`;
    return rows.map((r) => r.recipient_id);
  }

  /**
   * Takes a recipient's pending notifications (oldest first, at most {@link MAX_NOTIFICATIONS_PER_EMAIL}) into a new
   * batch claimed for `leaseMs`, when the oldest has waited `delayMs`; null when there is nothing due (another
   * notifier took them, or they are not due yet).
   */
  async claim(recipientId: bigint, delayMs: number, leaseMs: number): Promise<ClaimedBatch | null> {
    return this.db.clientFor(recipientId).$transaction(async (tx) => {
      const pending = await tx.$queryRaw<Array<{ id: bigint; due: boolean }>>`
        SELECT id, created_at <= clock_timestamp() - ${delayMs}::int * interval '1 millisecond' AS due
          FROM notifications WHERE recipient_id = ${recipientId} AND email_pending
         ORDER BY seq LIMIT ${MAX_NOTIFICATIONS_PER_EMAIL} FOR UPDATE SKIP LOCKED`;
      if (pending.length === 0 || !pending[0]!.due) return null;
      const ids = pending.map((p) => p.id);
      const [{ id }] = (await tx.$queryRaw<Array<{ id: bigint }>>`
        SELECT chatgraph_next_id(${logicalShardOf(recipientId)}::int) AS id`) as [{ id: bigint }];
      const messageId = `<email-batch.${id}@${this.messageIdDomain}>`;
      await tx.$executeRaw`
        INSERT INTO email_batches (id, recipient_id, notification_ids, message_id, status, claimed_until)
        VALUES (${id}, ${recipientId}, ${bigintArray(ids)}, ${messageId}, 'CLAIMED',
                clock_timestamp() + ${leaseMs}::int * interval '1 millisecond')`;
      await tx.$executeRaw`
        UPDATE notifications SET email_pending = false, email_batch_id = ${id} WHERE id = ANY(${bigintArray(ids)})`;
      return { id, recipientId, notificationIds: ids, messageId, attempts: 1 };
    });
  }

  /** Claims again up to `limit` batches of one shard whose notifier did not finish them within their lease. */
  async reclaimExpired(shard: number, limit: number, leaseMs: number): Promise<ClaimedBatch[]> {
    const rows = await this.db.clientAt(shard).$queryRaw<BatchRow[]>`
      UPDATE email_batches b
         SET attempts = b.attempts + 1,
             claimed_until = clock_timestamp() + (${leaseMs}::int * (b.attempts + 1)) * interval '1 millisecond'
       WHERE b.id IN (SELECT id FROM email_batches WHERE status = 'CLAIMED' AND claimed_until < clock_timestamp()
                       ORDER BY claimed_until LIMIT ${limit} FOR UPDATE SKIP LOCKED)
      RETURNING b.id, b.recipient_id, b.notification_ids, b.message_id, b.attempts`;
    return rows.map((r) => ({
      id: r.id,
      recipientId: r.recipient_id,
      notificationIds: r.notification_ids,
      messageId: r.message_id,
      attempts: r.attempts,
    }));
  }

  /** The batch's notifications as they are now (read state included), oldest first. */
  async notificationsOf(batch: ClaimedBatch): Promise<NotificationRecord[]> {
    const rows = await this.db.clientFor(batch.recipientId).$queryRaw<NotificationRow[]>`
      SELECT ${NOTIFICATION_COLUMNS} FROM notifications n
       WHERE n.id = ANY(${bigintArray(batch.notificationIds)}) ORDER BY n.seq`;
    return rows.map(notificationFromRow);
  }

  /**
   * Deletes up to `limit` finished (SENT or SKIPPED) batches of one shard made more than `retentionDays` ago; returns
   * how many. Their notifications keep `email_batch_id` (and never become pending again).
   */
  async prune(shard: number, retentionDays: number, limit: number): Promise<number> {
    return this.db.clientAt(shard).$executeRaw`
      DELETE FROM email_batches WHERE id IN (
        SELECT id FROM email_batches
         WHERE status <> 'CLAIMED' AND created_at < clock_timestamp() - ${retentionDays}::int * interval '1 day'
         LIMIT ${limit})`;
  }

  /** Ends a claimed batch (a batch already ended by another notifier stays as it is). */
  async finish(batch: ClaimedBatch, outcome: BatchOutcome): Promise<void> {
    const reason = outcome.status === 'SKIPPED' ? outcome.reason : null;
    await this.db.clientFor(batch.recipientId).$executeRaw`
      UPDATE email_batches
         SET status = ${outcome.status}, skip_reason = ${reason},
             sent_at = CASE WHEN ${outcome.status} = 'SENT' THEN clock_timestamp() END
       WHERE id = ${batch.id} AND status = 'CLAIMED'`;
  }
}
