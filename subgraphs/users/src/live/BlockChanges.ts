import { blockChangesChannel, type Reannouncer } from '@chatgraph/pubsub';

/**
 * Tells the notifiers that a user's blocks changed (after the commit of a block or an unblock), so their block caches
 * forget what they knew of that user's blocks and the change applies to the next event they handle. Never fails the
 * request. It goes through the profile announcements' {@link Reannouncer}: one Redis refuses is published again until
 * Redis takes it; one lost for good (this process died first) is outlived by the notifiers' cache TTL
 * (`NOTIFIER_BLOCK_CACHE_MS`).
 */
export class BlockChanges {
  private readonly channel: string;
  /** Orders this process's announcements of one user (any newer one makes an older one useless). */
  private counter = 0;

  constructor(
    private readonly reannouncer: Reannouncer,
    namespace: string,
  ) {
    this.channel = blockChangesChannel(namespace);
  }

  /** Announces that `userId` blocked or unblocked someone. */
  async changed(userId: bigint): Promise<void> {
    const id = userId.toString();
    await this.reannouncer.announce({
      key: `Blocks:${id}`,
      topic: this.channel,
      order: ++this.counter,
      payload: { userId: id },
    });
  }
}
