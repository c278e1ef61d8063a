import { userError } from '@chatgraph/errors';
import type { SubgraphClient } from '@chatgraph/service';

/** What the chats subgraph asks the users subgraph before it stores a reference to a user. */
export interface UserDirectory {
  /**
   * Resolves when every id in `ids` is an existing account; throws `NOT_FOUND` naming the argument (`field`) and the
   * missing ids (`extensions.userIds`) otherwise. A chat never names a user who does not exist (a ghost member would
   * make it unreadable for everyone).
   */
  assertExist(ids: readonly bigint[], field: string, viewerId: bigint): Promise<void>;
  /** The ids of the accounts with these usernames (any case); unknown names are left out. */
  idsByUsernames(usernames: readonly string[], viewerId: bigint): Promise<bigint[]>;
  /** Those of `ids` (at most 100) who blocked the viewer. */
  usersBlocking(ids: readonly bigint[], viewerId: bigint): Promise<bigint[]>;
}

/**
 * Throws BLOCKED (naming `field` and the users) when any of `ids` blocked the viewer: one call to the users
 * subgraph, none for an empty list.
 */
export async function assertNotBlocked(
  users: UserDirectory,
  ids: readonly bigint[],
  viewerId: bigint,
  field: string,
): Promise<void> {
  if (ids.length === 0) return;
  const blocking = await users.usersBlocking(ids, viewerId);
  if (blocking.length > 0) {
    const list = blocking.map(String);
    throw userError('BLOCKED', `User ${list.join(', ')} blocked you.`, { field, userIds: list });
  }
}

const EXISTING = 'query ChatsExistingUsers($ids: [ID!]!) { existingUserIds(ids: $ids) }';
const BLOCKING = 'query ChatsUsersBlocking($ids: [ID!]!) { usersBlockingViewer(userIds: $ids) }';

/** {@link UserDirectory} over the users subgraph's internal `existingUserIds` query (one call, batched per shard). */
export class RemoteUserDirectory implements UserDirectory {
  constructor(private readonly users: SubgraphClient) {}

  async assertExist(ids: readonly bigint[], field: string, viewerId: bigint): Promise<void> {
    if (ids.length === 0) return;
    const data = await this.users.request<{ existingUserIds: string[] }>(
      EXISTING,
      { ids: ids.map(String) },
      viewerId.toString(),
    );
    const existing = new Set(data.existingUserIds);
    const missing = ids.map(String).filter((id) => !existing.has(id));
    if (missing.length)
      throw userError('NOT_FOUND', `No user with id ${missing.join(', ')}.`, { field, userIds: missing });
  }

  async usersBlocking(ids: readonly bigint[], viewerId: bigint): Promise<bigint[]> {
    if (ids.length === 0) return [];
    const data = await this.users.request<{ usersBlockingViewer: string[] }>(
      BLOCKING,
      { ids: ids.map(String) },
      viewerId.toString(),
    );
    return data.usersBlockingViewer.map(BigInt);
  }

  /** One request: an aliased `userByUsername` per name. */
  async idsByUsernames(usernames: readonly string[], viewerId: bigint): Promise<bigint[]> {
    if (usernames.length === 0) return [];
    const defs = usernames.map((_, i) => `$u${i}: String!`).join(', ');
    const fields = usernames.map((_, i) => `u${i}: userByUsername(username: $u${i}) { id }`).join(' ');
    const data = await this.users.request<Record<string, { id: string } | null>>(
      `query ChatsMentionedUsers(${defs}) { ${fields} }`,
      Object.fromEntries(usernames.map((name, i) => [`u${i}`, name])),
      viewerId.toString(),
    );
    return usernames.flatMap((_, i) => {
      const user = data[`u${i}`];
      return user ? [BigInt(user.id)] : [];
    });
  }
}
