import { userError } from '@chatgraph/errors';

/** Caps on live subscriptions, counted from the start of subscribe (before authorize and attach). */
export interface QuotaLimits {
  /** @default 100 */
  perConnection: number;
  /** @default 500 */
  perUser: number;
  /** @default 100000 */
  perInstance: number;
}

/** Gives back a slot taken by {@link SubscriptionQuota.take}; calling it again does nothing. */
export type ReleaseSlot = () => void;

/**
 * Counts live subscriptions per connection, per user and on this instance, and refuses one over any cap with
 * `LIMIT_EXCEEDED`. A slot is taken synchronously, so concurrent subscribes on one connection cannot all pass the
 * check while an earlier one is still authorizing.
 */
export class SubscriptionQuota {
  private readonly perConnection = new Map<object, number>();
  private readonly perUser = new Map<string, number>();
  private active = 0;

  constructor(private readonly limits: QuotaLimits) {}

  /** Slots taken on this instance. */
  get size(): number {
    return this.active;
  }

  /** Slots taken by one connection (its key is any object the socket layer owns). */
  ofConnection(connection: object): number {
    return this.perConnection.get(connection) ?? 0;
  }

  /** Takes a slot for `viewerId` on `connection`, or throws `LIMIT_EXCEEDED` naming the cap. */
  take(connection: object, viewerId: string): ReleaseSlot {
    const { perConnection, perUser, perInstance } = this.limits;
    if (this.ofConnection(connection) >= perConnection)
      throw userError('LIMIT_EXCEEDED', `At most ${perConnection} live subscriptions per connection.`);
    if ((this.perUser.get(viewerId) ?? 0) >= perUser)
      throw userError('LIMIT_EXCEEDED', `At most ${perUser} live subscriptions per user.`);
    if (this.active >= perInstance)
      throw userError(
        'LIMIT_EXCEEDED',
        'This gateway instance is at its live subscription limit; reconnect to retry elsewhere.',
      );
    bump(this.perConnection, connection, 1);
    bump(this.perUser, viewerId, 1);
    this.active++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      bump(this.perConnection, connection, -1);
      bump(this.perUser, viewerId, -1);
      this.active--;
    };
  }
}

function bump<K>(counts: Map<K, number>, key: K, by: number): void {
  const n = (counts.get(key) ?? 0) + by;
  if (n > 0) counts.set(key, n);
  else counts.delete(key);
}
