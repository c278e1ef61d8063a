import type { NotificationsClient, ShardedDatabase } from '@chatgraph/db';

/** A verification email to send, claimed by one notifier for a while. */
export interface VerificationToSend {
  userId: bigint;
  email: string;
  /** When it was asked for: with the user, the identity of this email (its Message-ID). */
  requestedAt: Date;
  /** Attempts so far, this one included. */
  attempts: number;
}

interface VerificationRow {
  user_id: bigint;
  email: string;
  requested_at: Date;
  attempts: number;
}

/** The same address is sent a new link at most this often. */
const RESEND_AFTER = '1 minute';

/**
 * Verification emails waiting to be sent, one per user on the user's shard: the notifications subgraph records a
 * request (`requestEmailVerification`), a notifier claims it for a lease, sends it and marks it sent. A notifier that
 * dies in between leaves the claim to expire; the next one sends the same email again (same Message-ID).
 */
export class EmailVerificationQueue {
  constructor(private readonly db: ShardedDatabase<NotificationsClient>) {}

  /**
   * Records that `email` should get a verification link. A different address replaces a pending one; the same
   * address is asked again at most once a minute (false: nothing new recorded).
   */
  async request(userId: bigint, email: string): Promise<boolean> {
    const n = await this.db.clientFor(userId).$executeRaw`
      INSERT INTO email_verifications (user_id, email, requested_at) VALUES (${userId}, ${email}, clock_timestamp())
      ON CONFLICT (user_id) DO UPDATE
        SET email = EXCLUDED.email, requested_at = EXCLUDED.requested_at, attempts = 0, claimed_until = NULL,
            sent_at = NULL
      WHERE email_verifications.email IS DISTINCT FROM EXCLUDED.email
         OR email_verifications.requested_at < EXCLUDED.requested_at - ${RESEND_AFTER}::interval`;
    return n > 0;
  }

  /**
   * Claims up to `limit` unsent verifications of one shard (never claimed, or whose claim expired) for
   * `leaseMs` × attempts, so an email that keeps failing is tried less and less often.
   */
  async claimDue(shard: number, limit: number, leaseMs: number): Promise<VerificationToSend[]> {
    const rows = await this.db.clientAt(shard).$queryRaw<VerificationRow[]>`
      UPDATE email_verifications v
         SET attempts = v.attempts + 1,
             claimed_until = clock_timestamp() + (${leaseMs}::int * (v.attempts + 1)) * interval '1 millisecond'
       WHERE v.user_id IN (SELECT user_id FROM email_verifications
                            WHERE sent_at IS NULL AND (claimed_until IS NULL OR claimed_until < clock_timestamp())
                            ORDER BY requested_at LIMIT ${limit} FOR UPDATE SKIP LOCKED)
      RETURNING v.user_id, v.email, v.requested_at, v.attempts`;
    return rows.map((r) => ({ userId: r.user_id, email: r.email, requestedAt: r.requested_at, attempts: r.attempts }));
  }

  /** Records that a claimed verification was sent (unless a newer request replaced it meanwhile). */
  async markSent(item: VerificationToSend): Promise<void> {
    await this.db.clientFor(item.userId).$executeRaw`
      UPDATE email_verifications SET sent_at = clock_timestamp()
       WHERE user_id = ${item.userId} AND requested_at = ${item.requestedAt} AND sent_at IS NULL`;
  }
}
