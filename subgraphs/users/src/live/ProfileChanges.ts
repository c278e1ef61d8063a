import type { Logger } from '@chatgraph/logging';
import { entityChangesChannel, publishOn, Reannouncer, type RedisClient } from '@chatgraph/pubsub';

/**
 * Tells every gateway that a user's public profile changed (after the commit), so their entity caches forget it.
 * Never fails the request. A change Redis refuses (an outage, a cluster failover) is announced again until Redis
 * takes it (see `Reannouncer`): a gateway whose own link stayed up would otherwise serve the old profile until its
 * cache's TTL; a gateway whose link went down stops serving from its cache and flushes it when the link is back.
 */
export class ProfileChanges {
  /** Refused announcements, published again until Redis takes them. */
  readonly reannouncer: Reannouncer;
  private readonly channel: string;
  /** Orders this process's announcements of one user (any newer one makes an older one useless). */
  private counter = 0;

  constructor(redis: RedisClient, namespace: string, logger: Logger) {
    this.channel = entityChangesChannel(namespace);
    this.reannouncer = new Reannouncer(
      (topic, payload) =>
        publishOn(redis, topic, JSON.stringify(payload)).then(
          () => true,
          // The reannouncer says when it starts retrying and when it is done: not one line per refused try.
          (err: Error) => {
            logger.debug({ err: err.message }, 'profile change not announced yet');
            return false;
          },
        ),
      logger,
    );
  }

  /** Announces that the profile of `userId` changed (resolves once Redis took it or refused it the first time). */
  async changed(userId: bigint): Promise<void> {
    const id = userId.toString();
    await this.reannouncer.announce({
      key: `User:${id}`,
      topic: this.channel,
      order: ++this.counter,
      payload: { type: 'User', id },
    });
  }

  /** Tries what is pending one last time and stops retrying. */
  close(): Promise<void> {
    return this.reannouncer.close();
  }
}
