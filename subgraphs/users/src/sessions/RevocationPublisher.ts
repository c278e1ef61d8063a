import { RevocationFeed, type Revocation, type RevocationKeys } from '@chatgraph/auth';
import { publishCommand, type RedisClient } from '@chatgraph/pubsub';

/**
 * Writes revocations where every gateway finds them (see `RevocationFeed`): added to the sorted set gateways load at
 * start and after a Redis reconnect, and published on the channel they listen to, in one MULTI, so no gateway can
 * see one without the other. Entries past their `until` are pruned on every write, and the key expires with its
 * newest entry (on a Redis Cluster the keys and channel share one hash slot, and the announcement is sharded pub/sub).
 * Throws when Redis cannot take it (the caller answers `SERVICE_UNAVAILABLE`; retrying is safe).
 */
export class RevocationPublisher {
  constructor(
    private readonly redis: RedisClient,
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
      // SPUBLISH on a cluster (the keys and channel share a hash slot: see RevocationFeed.keys).
      .call(publishCommand(this.redis), this.keys.channel, RevocationFeed.encode(revocation))
      .exec();
    const failed = results?.find(([err]) => err !== null)?.[0];
    if (!results || failed) throw failed ?? new Error('the revocation transaction was discarded');
  }
}
