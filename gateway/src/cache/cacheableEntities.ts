import type { CacheableEntities } from './EntityCachingDataSource';

/**
 * What the gateway's entity cache may keep, by subgraph: the entity fields that read the same for every viewer and
 * that their subgraph announces changes of (`entityChangesChannel`). A field missing here (anything that depends on
 * who asks, such as a user's e-mail address, or that changes without an announcement) is always fetched. The users
 * subgraph announces `User` changes after `updateProfile` and `deleteAccount`; `id`, `username`, `createdAt` and
 * `isBot` never change.
 */
export const CACHEABLE_ENTITIES: Readonly<Record<string, CacheableEntities>> = {
  users: { User: new Set(['id', 'username', 'displayName', 'createdAt', 'isBot']) },
};
