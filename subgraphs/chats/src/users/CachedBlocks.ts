import type { Logger } from '@chatgraph/logging';
import { CachedBlockList, type ChannelSubscriber } from '@chatgraph/pubsub';
import type { UserDirectory } from './UserDirectory';

/** Options of {@link withCachedBlocks}. */
export interface CachedBlocksOptions {
  /** The process's pub/sub subscriber, for the users service's block announcements. */
  channels: ChannelSubscriber;
  /** The deployment namespace (`DB_NAME_PREFIX`) of the announcements. */
  namespace: string;
  /** Longest an answer is kept (`CHATS_BLOCK_CACHE_MS`); 0 asks the users service every time. */
  ttlMs: number;
  logger: Logger;
}

/** A {@link UserDirectory} whose block answers are cached, and what starts and stops the cache. */
export interface CachedBlocksDirectory {
  users: UserDirectory;
  /** Starts hearing the block announcements (until then every question goes to the users service). */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * `directory` with its `usersBlocking` answered from a {@link CachedBlockList}: a direct-chat send (and any other check
 * of whether members blocked the viewer) no longer asks the users service each time. The users service announces each
 * block and unblock on Redis after its commit and before it answers, so a block applies from the blocked user's next
 * request; see `CachedBlockList` for the bounds when an announcement is lost or the subscriber link is down. The
 * other questions (existence, usernames) still go to the users service.
 */
export function withCachedBlocks(directory: UserDirectory, options: CachedBlocksOptions): CachedBlocksDirectory {
  const cache = new CachedBlockList({
    ...options,
    source: {
      blockedBy: async (actorId, recipientIds) => new Set(await directory.usersBlocking(recipientIds, actorId)),
    },
  });
  const users: UserDirectory = {
    assertExist: (ids, field, viewerId) => directory.assertExist(ids, field, viewerId),
    idsByUsernames: (usernames, viewerId) => directory.idsByUsernames(usernames, viewerId),
    async usersBlocking(ids, viewerId) {
      if (ids.length === 0) return [];
      const blocking = await cache.blockedBy(viewerId, ids);
      return ids.filter((id) => blocking.has(id));
    },
  };
  return { users, start: () => cache.start(), stop: () => cache.stop() };
}
