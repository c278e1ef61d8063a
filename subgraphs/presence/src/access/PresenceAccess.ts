import { LRUCache } from 'lru-cache';
import { userError } from '@chatgraph/errors';
import type { Logger } from '@chatgraph/logging';
import type { SubgraphClient } from '@chatgraph/service';

/** Options of {@link PresenceAccess}. */
export interface PresenceAccessOptions {
  /** The chats subgraph (its replicas, config `CHATS_URL`), called as the viewer. */
  chats: SubgraphClient;
  /** How long an answer is reused (config `PRESENCE_ACCESS_CACHE_MS`); 0: ask every time. */
  cacheMs: number;
  logger: Logger;
  /** Most (viewer, user) answers kept. @default 100000 */
  maxEntries?: number;
}

/** Who may see whose presence: for each of `userIds`, whether `viewerId` may. */
export interface PresenceVisibility {
  visible(viewerId: string, userIds: readonly string[]): Promise<boolean[]>;
}

const SHARES_CHAT_WITH = 'query SharesChatWith($userIds: [ID!]!) { sharesChatWith(userIds: $userIds) }';

/**
 * Who may see whose presence: a signed-in viewer sees their own and that of every user they share a chat with;
 * anonymous viewers see nobody's. Presence does not own memberships, so it asks the chats service (its internal
 * `sharesChatWith`, as the viewer, with a signed identity header) and keeps each (viewer, user) answer for
 * `cacheMs` in memory: a page of messages whose authors were just checked costs no call at all, and any number of
 * users unknown to the cache cost one call. An answer can therefore be up to `cacheMs` old after someone joins or
 * leaves a chat.
 */
export class PresenceAccess implements PresenceVisibility {
  private readonly cache: LRUCache<string, boolean> | undefined;

  constructor(private readonly options: PresenceAccessOptions) {
    this.cache =
      options.cacheMs > 0 ? new LRUCache({ max: options.maxEntries ?? 100_000, ttl: options.cacheMs }) : undefined;
  }

  /**
   * Which of `userIds` `viewerId` may see (the same order, true or false each).
   * @throws GraphQLError `SERVICE_UNAVAILABLE` when chats cannot answer (presence is then withheld, never guessed)
   */
  async visible(viewerId: string, userIds: readonly string[]): Promise<boolean[]> {
    const answers = new Map<string, boolean>([[viewerId, true]]);
    const unknown: string[] = [];
    for (const id of new Set(userIds)) {
      if (answers.has(id)) continue;
      const cached = this.cache?.get(`${viewerId}:${id}`);
      if (cached === undefined) unknown.push(id);
      else answers.set(id, cached);
    }
    if (unknown.length) {
      const shared = new Set(await this.askChats(viewerId, unknown));
      for (const id of unknown) {
        answers.set(id, shared.has(id));
        this.cache?.set(`${viewerId}:${id}`, shared.has(id));
      }
    }
    return userIds.map((id) => answers.get(id) === true);
  }

  private async askChats(viewerId: string, userIds: readonly string[]): Promise<string[]> {
    try {
      const data = await this.options.chats.request<{ sharesChatWith: string[] }>(
        SHARES_CHAT_WITH,
        { userIds },
        viewerId,
      );
      return data.sharesChatWith;
    } catch (err) {
      this.options.logger.warn({ err }, 'chats could not answer sharesChatWith');
      throw userError(
        'SERVICE_UNAVAILABLE',
        'The presence service cannot check chat memberships right now; try again.',
      );
    }
  }
}
