import { parseId } from '@chatgraph/ids';
import { badInput, userError } from '@chatgraph/errors';
import { MAX_BLOCKS } from '../storage/BlockStore';
import type { UsersContext } from '../context';
import type { UserRecord } from '../storage/UserRecord';
import { canonicalUsername, displayName, emailAddress, givenPassword, newPassword } from './inputRules';
import { INVALID_CREDENTIALS_MESSAGE, sessionMutations, type AuthPayload } from './sessionMutations';
import { integrationMutations } from './integrationFields';

/** Starts a session for a user who just proved who they are. */
async function signedIn(user: UserRecord, ctx: UsersContext): Promise<AuthPayload> {
  const session = await ctx.sessions.start(user.id);
  // The account was deleted between the password check and now.
  if (!session) throw userError('INVALID_CREDENTIALS', INVALID_CREDENTIALS_MESSAGE);
  const { userId: _, ...tokens } = session;
  return { ...tokens, user };
}

/** The signed-in user's id, or UNAUTHENTICATED. */
function viewer(ctx: UsersContext): bigint {
  const id = ctx.viewerId === null ? null : parseId(ctx.viewerId);
  if (id === null) throw userError('UNAUTHENTICATED', 'Sign in first.');
  return id;
}

/** The user to block or unblock: an existing account other than the viewer. */
async function blockTarget(ctx: UsersContext, value: string, viewerId: bigint): Promise<bigint> {
  const id = parseId(value);
  if (id === null) throw badInput('userId', 'userId is not a valid id.');
  if (id === viewerId) throw badInput('userId', 'You cannot block yourself.');
  if (!(await ctx.users.byId(id))) throw userError('NOT_FOUND', `There is no user with id ${id}.`, { field: 'userId' });
  return id;
}

/** `Mutation` fields of the users subgraph. */
export const Mutation = {
  async blockUser(_: unknown, args: { userId: string }, ctx: UsersContext): Promise<boolean> {
    const viewerId = viewer(ctx);
    const target = await blockTarget(ctx, args.userId, viewerId);
    if (!(await ctx.blocks.block(viewerId, target)))
      throw userError('LIMIT_EXCEEDED', `You can block at most ${MAX_BLOCKS} users; unblock some first.`, {
        limit: MAX_BLOCKS,
      });
    await ctx.blockChanges.changed(viewerId);
    return true;
  },

  async unblockUser(_: unknown, args: { userId: string }, ctx: UsersContext): Promise<boolean> {
    const viewerId = viewer(ctx);
    const id = parseId(args.userId);
    if (id === null) throw badInput('userId', 'userId is not a valid id.');
    await ctx.blocks.unblock(viewerId, id);
    await ctx.blockChanges.changed(viewerId);
    return true;
  },

  async signUp(
    _: unknown,
    args: { username: string; password: string; displayName: string },
    ctx: UsersContext,
  ): Promise<AuthPayload> {
    const username = canonicalUsername(args.username, 'username');
    const password = newPassword(args.password, 'password');
    const name = displayName(args.displayName, 'displayName');
    const address = ctx.identity.clientAddress;
    if (address !== undefined) await ctx.limits.signUpPerAddress.takeOrThrow(address);
    const passwordHash = await ctx.passwords.hash(password);
    const user = await ctx.users.createUser({ username, displayName: name, passwordHash });
    return signedIn(user, ctx);
  },

  async logIn(_: unknown, args: { username: string; password: string }, ctx: UsersContext): Promise<AuthPayload> {
    const username = canonicalUsername(args.username, 'username');
    const password = givenPassword(args.password, 'password');
    // Before any work: guesses on one username wait longer and longer, one address only guesses so fast. Unknown
    // usernames are throttled the same way, so the limit does not tell which usernames exist either.
    await ctx.limits.login.admit(username, ctx.identity.clientAddress);
    const credentials = await ctx.users.findCredentials(username);
    // Unknown users are checked against a dummy hash: the same scrypt work either way.
    const ok = await ctx.passwords.verifyOrDummy(password, credentials?.passwordHash ?? null);
    if (!ok || !credentials) throw userError('INVALID_CREDENTIALS', INVALID_CREDENTIALS_MESSAGE);
    await ctx.limits.login.succeeded(username);
    if (ctx.passwords.needsRehash(credentials.passwordHash)) {
      // The cost parameters were raised since this hash was made: store a new hash while the password is at hand.
      await ctx.users.updatePasswordHash(credentials.user.id, await ctx.passwords.hash(password));
    }
    return signedIn(credentials.user, ctx);
  },

  async updateProfile(
    _: unknown,
    args: { displayName?: string | null; email?: string | null },
    ctx: UsersContext,
  ): Promise<UserRecord> {
    if (ctx.viewerId === null) throw userError('UNAUTHENTICATED', 'Sign in to change your profile.');
    const id = parseId(ctx.viewerId);
    if (id === null) throw userError('NOT_FOUND', 'Your account no longer exists; sign up again.');
    if (args.displayName == null && args.email == null)
      throw badInput('displayName', 'Give a displayName, an email, or both.');
    // Where alerts about the user's messages go is the person's decision: a leaked token must not redirect them.
    if (args.email != null && ctx.identity.apiTokenId !== undefined)
      throw userError('FORBIDDEN', 'API tokens cannot change the email address; sign in with a password.');
    const name = args.displayName == null ? null : displayName(args.displayName, 'displayName');
    const email = args.email == null ? undefined : args.email.trim() === '' ? null : emailAddress(args.email, 'email');
    let user = name === null ? await ctx.users.byId(id) : await ctx.users.updateDisplayName(id, name);
    // An unverified address gets a verification email (recorded with it, sent by a notifier).
    if (user && email !== undefined) user = await ctx.users.updateEmail(id, email);
    if (!user) throw userError('NOT_FOUND', 'Your account no longer exists; sign up again.');
    // The address is not a cached field; the name is.
    if (name !== null) await ctx.profileChanges.changed(user.id);
    return user;
  },

  async confirmEmail(_: unknown, args: { email: string }, ctx: UsersContext): Promise<boolean> {
    const id = parseId(ctx.viewerId);
    if (id === null) throw userError('UNAUTHENTICATED', 'A verification is made for a user.');
    return ctx.users.confirmEmail(id, args.email);
  },

  ...sessionMutations,
  ...integrationMutations,
};
