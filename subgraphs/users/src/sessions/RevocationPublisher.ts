import type Redis from 'ioredis';
import { RevocationFeed, type Revocation, type RevocationKeys } from '@chatgraph/auth';

/**
 * Writes revocations where every gateway finds them (see `RevocationFeed`): added to the sorted set gateways load at
 * start and after a Redis reconnect, and published on the channel they listen to, in one MULTI, so no gateway can
 * see one without the other. Entries past their `until` are pruned on every write, and the key expires with its
 * newest entry. Throws when Redis cannot take it (the caller answers `SERVICE_UNAVAILABLE`; retrying is safe).
 */
export class RevocationPublisher {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RevocationKeys,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records and announces one revocation. */
  async publish(revocation: Revocation): Promise<void> {
    const key = { session: this.keys.sessions, user: this.keys.users, token: this.keys.tokens }[revocation.kind];
    const results = await this.redis
      .multi()
      .zadd(key, revocation.until, RevocationFeed.member(revocation))
      .zremrangebyscore(key, '-inf', this.now())
      .pexpireat(key, revocation.until)
      .publish(this.keys.channel, RevocationFeed.encode(revocation))
      .exec();
    const failed = results?.find(([err]) => err !== null)?.[0];
    if (!results || failed) throw failed ?? new Error('the revocation transaction was discarded');
  }
}
