import type { NotificationsClient, ShardedDatabase } from '@chatgraph/db';
import type { PushSubscriptionRecord } from './records';

interface SubscriptionRow {
  user_id: bigint;
  endpoint: string;
  p256dh: string;
  auth: string;
  created_at: Date;
}

/** A user's Web Push subscriptions, on the user's shard. */
export class PushSubscriptionStore {
  constructor(private readonly db: ShardedDatabase<NotificationsClient>) {}

  /** Adds a subscription, or replaces the keys of the user's subscription with this endpoint. */
  async register(userId: bigint, endpoint: string, p256dh: string, auth: string): Promise<void> {
    await this.db.clientFor(userId).$executeRaw`
      INSERT INTO push_subscriptions (user_id, endpoint, p256dh, auth) VALUES (${userId}, ${endpoint}, ${p256dh}, ${auth})
      ON CONFLICT (user_id, endpoint) DO UPDATE SET p256dh = EXCLUDED.p256dh, auth = EXCLUDED.auth`;
  }

  /** Removes a subscription; false when the user had none with this endpoint. */
  async unregister(userId: bigint, endpoint: string): Promise<boolean> {
    const n = await this.db.clientFor(userId).$executeRaw`
      DELETE FROM push_subscriptions WHERE user_id = ${userId} AND endpoint = ${endpoint}`;
    return n > 0;
  }

  /** The user's subscriptions, oldest first. */
  async of(userId: bigint): Promise<PushSubscriptionRecord[]> {
    const rows = await this.db.clientFor(userId).$queryRaw<SubscriptionRow[]>`
      SELECT user_id, endpoint, p256dh, auth, created_at FROM push_subscriptions
       WHERE user_id = ${userId} ORDER BY created_at, endpoint`;
    return rows.map((r) => ({
      userId: r.user_id,
      endpoint: r.endpoint,
      p256dh: r.p256dh,
      auth: r.auth,
      createdAt: r.created_at,
    }));
  }
}
