import type { ShardedDatabase, UsersClient } from '@chatgraph/db';

/** A verification email to send, claimed by one notifier for a while. */
export interface VerificationToSend {
  userId: bigint;
  email: string;
  /** When it was asked for: with the user, the identity of this email (its Message-ID, its link's expiry). */
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

/**
 * The verification emails users asked for: the users service writes a row with the address, in the same transaction
 * (an outbox, on the user's users shard); notifiers claim rows for a lease, send them and mark them sent. A notifier
 * that dies in between leaves the claim to expire; the next one sends the same email again (same Message-ID).
 */
export class VerificationQueue {
  constructor(private readonly users: ShardedDatabase<UsersClient>) {}

  /** How many users shards there are. */
  get shards(): number {
    return this.users.all().length;
  }

  /**
   * Claims up to `limit` unsent verifications of one users shard (never claimed, or whose claim expired) for
   * `leaseMs` × attempts, so that an email that keeps failing is tried less and less often.
   */
  async claimDue(shard: number, limit: number, leaseMs: number): Promise<VerificationToSend[]> {
    const rows = await this.users.clientAt(shard).$queryRaw<VerificationRow[]>`
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
    await this.users.clientFor(item.userId).$executeRaw`
      UPDATE email_verifications SET sent_at = clock_timestamp()
       WHERE user_id = ${item.userId} AND requested_at = ${item.requestedAt} AND sent_at IS NULL`;
  }
}
