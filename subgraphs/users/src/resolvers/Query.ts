import { parseId } from '@chatgraph/ids';
import { userError } from '@chatgraph/errors';
import type { UsersContext } from '../context';
import type { UserRecord } from '../storage/UserRecord';
import { canonicalUsername, userId } from './inputRules';

/** `Query` fields of the users subgraph. */
export const Query = {
  me(_: unknown, __: unknown, ctx: UsersContext): Promise<UserRecord | null> | null {
    if (ctx.viewerId === null) throw userError('UNAUTHENTICATED', 'Sign in to see your own account.');
    const id = parseId(ctx.viewerId);
    return id === null ? null : ctx.users.byId(id);
  },

  user(_: unknown, args: { id: string }, ctx: UsersContext): Promise<UserRecord | null> {
    return ctx.users.byId(userId(args.id, 'id'));
  },

  userByUsername(_: unknown, args: { username: string }, ctx: UsersContext): Promise<UserRecord | null> {
    return ctx.users.byUsername(canonicalUsername(args.username, 'username'));
  },
};
