import { parseId } from '@chatgraph/ids';
import { badInput, userError } from '@chatgraph/errors';
import type { UsersContext } from '../context';
import type { UserRecord } from '../storage/UserRecord';
import { canonicalUsername, userId } from './inputRules';
import { integrationQueries } from './integrationFields';

/** A user's name and verified address, for the notifier's emails. */
interface EmailRecipient {
  id: string;
  displayName: string;
  verifiedEmail: string | null;
}

/** Most ids one `existingUserIds` (or `emailRecipients`) call checks. */
const MAX_IDS_PER_CHECK = 100;

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

  async existingUserIds(_: unknown, args: { ids: string[] }, ctx: UsersContext): Promise<string[]> {
    if (args.ids.length > MAX_IDS_PER_CHECK) throw badInput('ids', `At most ${MAX_IDS_PER_CHECK} ids per call.`);
    const ids = args.ids.map((id) => userId(id, 'ids'));
    // One batch per users shard (the loader groups them).
    const users = await Promise.all(ids.map((id) => ctx.users.byId(id)));
    return users.filter((u): u is UserRecord => u !== null).map((u) => u.id.toString());
  },

  async emailRecipients(_: unknown, args: { ids: string[] }, ctx: UsersContext): Promise<EmailRecipient[]> {
    if (args.ids.length > MAX_IDS_PER_CHECK) throw badInput('ids', `At most ${MAX_IDS_PER_CHECK} ids per call.`);
    const users = await Promise.all(args.ids.map((id) => ctx.users.byId(userId(id, 'ids'))));
    return users
      .filter((u): u is UserRecord => u !== null)
      .map((u) => ({
        id: u.id.toString(),
        displayName: u.displayName,
        verifiedEmail: u.emailVerifiedAt !== null ? u.email : null,
      }));
  },

  async myBlockedUsers(_: unknown, __: unknown, ctx: UsersContext): Promise<UserRecord[]> {
    const viewerId = signedIn(ctx);
    const ids = await ctx.blocks.blockedBy(viewerId);
    const users = await Promise.all(ids.map((id) => ctx.users.byId(id)));
    return users.filter((u): u is UserRecord => u !== null);
  },

  /** Internal (chats): those of `userIds` who blocked the viewer; nobody for an anonymous viewer. */
  async usersBlockingViewer(_: unknown, args: { userIds: string[] }, ctx: UsersContext): Promise<string[]> {
    if (args.userIds.length > MAX_IDS_PER_CHECK)
      throw badInput('userIds', `At most ${MAX_IDS_PER_CHECK} ids per call.`);
    const ids = args.userIds.map((id) => userId(id, 'userIds'));
    const viewerId = ctx.viewerId === null ? null : parseId(ctx.viewerId);
    if (viewerId === null) return [];
    return (await ctx.blocks.whoBlocked(viewerId, ids)).map(String);
  },

  ...integrationQueries,
};

/** The signed-in user's id, or UNAUTHENTICATED. */
function signedIn(ctx: UsersContext): bigint {
  const id = ctx.viewerId === null ? null : parseId(ctx.viewerId);
  if (id === null) throw userError('UNAUTHENTICATED', 'Sign in first.');
  return id;
}
