import { parseId } from '@chatgraph/ids';
import { userError } from '@chatgraph/errors';
import type { UsersContext } from '../context';
import type { UserRecord } from '../storage/UserRecord';
import { canonicalUsername, displayName, givenPassword, newPassword } from './inputRules';

/** What `signUp` and `logIn` return. */
interface AuthPayload {
  token: string;
  expiresAt: Date;
  user: UserRecord;
}

async function authPayload(user: UserRecord, ctx: UsersContext): Promise<AuthPayload> {
  const { token, expiresAt } = await ctx.tokens.sign(user.id.toString());
  return { token, expiresAt, user };
}

// One message for both "no such user" and "wrong password", so the answer never tells which usernames exist.
const INVALID_CREDENTIALS_MESSAGE = 'The username or the password is wrong.';

/** `Mutation` fields of the users subgraph. */
export const Mutation = {
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
    return authPayload(user, ctx);
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
    return authPayload(credentials.user, ctx);
  },

  async updateProfile(_: unknown, args: { displayName: string }, ctx: UsersContext): Promise<UserRecord> {
    if (ctx.viewerId === null) throw userError('UNAUTHENTICATED', 'Sign in to change your profile.');
    const name = displayName(args.displayName, 'displayName');
    const id = parseId(ctx.viewerId);
    const user = id === null ? null : await ctx.users.updateDisplayName(id, name);
    if (!user) throw userError('NOT_FOUND', 'Your account no longer exists; sign up again.');
    return user;
  },
};
