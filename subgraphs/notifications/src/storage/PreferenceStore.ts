import type { NotificationsClient, ShardedDatabase } from '@chatgraph/db';
import { withDefaults, type AlertSettings, type NotificationPreference } from '../policy/alertPolicy';
import type { NotificationKind } from './records';

/**
 * Per-kind push and email preferences and do-not-disturb, on the user's shard. Only changed preferences have rows;
 * reads fill in the defaults.
 */
export class PreferenceStore {
  constructor(private readonly db: ShardedDatabase<NotificationsClient>) {}

  /** One preference per kind, in schema order. */
  async preferencesOf(userId: bigint): Promise<NotificationPreference[]> {
    const rows = await this.db.clientFor(userId).$queryRaw<NotificationPreference[]>`
      SELECT kind, push, email FROM notification_preferences WHERE user_id = ${userId}`;
    return withDefaults(rows);
  }

  /** Sets one kind's preference; returns every kind's. */
  async update(
    userId: bigint,
    kind: NotificationKind,
    push: boolean,
    email: boolean,
  ): Promise<NotificationPreference[]> {
    await this.db.clientFor(userId).$executeRaw`
      INSERT INTO notification_preferences (user_id, kind, push, email) VALUES (${userId}, ${kind}, ${push}, ${email})
      ON CONFLICT (user_id, kind) DO UPDATE SET push = EXCLUDED.push, email = EXCLUDED.email`;
    return this.preferencesOf(userId);
  }

  /** Turns email off for these kinds, keeping push as it was (an unsubscribe link). */
  async disableEmail(userId: bigint, kinds: readonly NotificationKind[]): Promise<void> {
    const current = await this.preferencesOf(userId);
    const rows = current.filter((p) => kinds.includes(p.kind));
    await this.db.clientFor(userId).$executeRaw`
      INSERT INTO notification_preferences (user_id, kind, push, email)
      SELECT ${userId}, k, p, false FROM unnest(${rows.map((r) => r.kind)}::text[], ${rows.map((r) => r.push)}::boolean[]) AS x(k, p)
      ON CONFLICT (user_id, kind) DO UPDATE SET email = false`;
  }

  /** When do-not-disturb ends; null when it is not on (never set, cleared, or over). */
  async doNotDisturbUntil(userId: bigint, now = new Date()): Promise<Date | null> {
    const rows = await this.db.clientFor(userId).$queryRaw<Array<{ until: Date | null }>>`
      SELECT do_not_disturb_until AS until FROM notification_settings WHERE user_id = ${userId}`;
    const until = rows[0]?.until ?? null;
    return until !== null && until > now ? until : null;
  }

  /** Starts do-not-disturb until `until`, or ends it (null). */
  async setDoNotDisturb(userId: bigint, until: Date | null): Promise<void> {
    await this.db.clientFor(userId).$executeRaw`
      INSERT INTO notification_settings (user_id, do_not_disturb_until) VALUES (${userId}, ${until})
      ON CONFLICT (user_id) DO UPDATE SET do_not_disturb_until = EXCLUDED.do_not_disturb_until`;
  }

  /** Everything the workers check before pushing or emailing (one shard, two reads). */
  async settingsOf(userId: bigint, now = new Date()): Promise<AlertSettings> {
    const [preferences, doNotDisturbUntil] = await Promise.all([
      this.preferencesOf(userId),
      this.doNotDisturbUntil(userId, now),
    ]);
    return { preferences, doNotDisturbUntil };
  }
}
