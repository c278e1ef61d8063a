import { badInput } from '@chatgraph/errors';
import { parseId } from '@chatgraph/ids';
import type { UsersContext } from '../context';
import type { UserRecord } from '../storage/UserRecord';

/** `User` fields that differ from the stored record, and entity resolution for other subgraphs. */
export const User = {
  /**
   * Resolves `{ __typename: "User", id }` representations (the gateway's `_entities` calls). Batched through the
   * request's DataLoader: N users spread over the shards cost one query per shard. Unknown ids resolve to null.
   * Read on the primary, never a read replica: the gateways' entity caches keep what this answers.
   */
  __resolveReference(ref: { id?: unknown }, ctx: UsersContext): Promise<UserRecord | null> {
    const id = parseId(ref.id);
    if (id === null)
      throw badInput('representations', `User representation has a malformed id: ${JSON.stringify(ref.id)}.`);
    return ctx.users.byIdOnPrimary(id);
  },

  id(user: UserRecord): string {
    return user.id.toString();
  },

  /** The address is the user's own business. */
  email(user: UserRecord, _: unknown, ctx: UsersContext): string | null {
    return ctx.viewerId === user.id.toString() ? user.email : null;
  },

  emailVerified(user: UserRecord, _: unknown, ctx: UsersContext): boolean | null {
    if (ctx.viewerId !== user.id.toString() || user.email === null) return null;
    return user.emailVerifiedAt !== null;
  },
};
