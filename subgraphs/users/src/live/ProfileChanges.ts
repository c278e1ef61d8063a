import type { Logger } from '@chatgraph/logging';
import { entityChangesChannel, publishOn, type RedisClient } from '@chatgraph/pubsub';

/**
 * Tells every gateway that a user's public profile changed (after the commit), so their entity caches forget it.
 * Never fails the request: a change that cannot be announced (Redis down) is logged, and the gateways, which stop
 * serving from their caches while their own Redis connection is down, or the cache's TTL, cover it.
 */
export class ProfileChanges {
  private readonly channel: string;

  constructor(
    private readonly redis: RedisClient,
    namespace: string,
    private readonly logger: Logger,
  ) {
    this.channel = entityChangesChannel(namespace);
  }

  /** Announces that the profile of `userId` changed. */
  async changed(userId: bigint): Promise<void> {
    try {
      await publishOn(this.redis, this.channel, JSON.stringify({ type: 'User', id: userId.toString() }));
    } catch (err) {
      this.logger.warn({ userId: userId.toString(), err: (err as Error).message }, 'profile change not announced');
    }
  }
}
