import { userError } from '@chatgraph/errors';
import { parseId } from '@chatgraph/ids';
import type { UsersContext } from '../context';
import type { SessionTokens } from '../sessions/Sessions';
import type { UserRecord } from '../storage/UserRecord';
import { givenPassword } from './inputRules';

/** What `signUp`, `logIn` and `refreshSession` return. */
export type AuthPayload = Omit<SessionTokens, 'userId'> & { user: UserRecord };

// One message for both "no such user" and "wrong password", so the answer never tells which usernames exist.
export const INVALID_CREDENTIALS_MESSAGE = 'The username or the password is wrong.';

// Far longer than any refresh token; anything longer is refused before it is hashed.
const MAX_REFRESH_TOKEN_LENGTH = 200;

function viewer(ctx: UsersContext, action: string): bigint {
  const id = parseId(ctx.viewerId);
  if (id === null) throw userError('UNAUTHENTICATED', `Sign in to ${action}.`);
  return id;
}

/** The session `Mutation` fields: refresh, log out, log out everywhere, delete the account. */
export const sessionMutations = {
  async refreshSession(_: unknown, args: { refreshToken: string }, ctx: UsersContext): Promise<AuthPayload> {
    if (args.refreshToken.length > MAX_REFRESH_TOKEN_LENGTH)
      throw userError('UNAUTHENTICATED', 'The refresh token is not valid; sign in again.', {
        reason: 'refresh_token_invalid',
      });
    const { userId, ...tokens } = await ctx.sessions.refresh(args.refreshToken);
    const user = await ctx.users.byId(userId);
    if (!user) throw userError('UNAUTHENTICATED', 'The account no longer exists.', { reason: 'session_revoked' });
    return { ...tokens, user };
  },

  async logOut(_: unknown, __: unknown, ctx: UsersContext): Promise<boolean> {
    const userId = viewer(ctx, 'log out');
    if (ctx.sessionId === null) throw userError('UNAUTHENTICATED', 'This request carries no session; sign in again.');
    await ctx.sessions.logOut(userId, ctx.sessionId);
    return true;
  },

  async logOutEverywhere(_: unknown, __: unknown, ctx: UsersContext): Promise<boolean> {
    const userId = viewer(ctx, 'log out');
    if (!(await ctx.sessions.endAll(userId, false)))
      throw userError('UNAUTHENTICATED', 'Your account no longer exists.');
    return true;
  },

  async deleteAccount(_: unknown, args: { password: string }, ctx: UsersContext): Promise<boolean> {
    const userId = viewer(ctx, 'delete your account');
    const password = givenPassword(args.password, 'password');
    const credentials = await ctx.users.credentialsById(userId);
    // No credentials: already deleted (a retry after SERVICE_UNAVAILABLE: announce it again) or no such account.
    if (credentials && !(await ctx.passwords.verify(password, credentials.passwordHash)))
      throw userError('INVALID_CREDENTIALS', 'The password is wrong.', { field: 'password' });
    if (!(await ctx.sessions.endAll(userId, true)))
      throw userError('UNAUTHENTICATED', 'Your account no longer exists.');
    // The account's name is now the tombstone's.
    await ctx.profileChanges.changed(userId);
    return true;
  },
};
