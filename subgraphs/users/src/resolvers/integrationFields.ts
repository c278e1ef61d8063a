import { isTokenScope, type TokenScope } from '@chatgraph/auth';
import { badInput, userError } from '@chatgraph/errors';
import { parseId } from '@chatgraph/ids';
import type { UsersContext } from '../context';
import type { ApiTokenRecord } from '../integrations/ApiTokenStore';
import type { UserRecord } from '../storage/UserRecord';
import { canonicalUsername, displayName } from './inputRules';

/** Most bots one user may own. */
export const MAX_BOTS_PER_OWNER = 25;
/** Longest lifetime of an API token, in days. */
const MAX_EXPIRES_IN_DAYS = 3650;
/** Longest token presented for verification (anything longer is not one). */
const MAX_TOKEN_LENGTH = 200;

/**
 * The viewer, signed in with a password-backed session: bots and API tokens are managed by a person, never by an API
 * token (a leaked token must not be able to mint more, or outlive its revocation through another).
 */
function sessionViewer(ctx: UsersContext, action: string): bigint {
  const id = parseId(ctx.viewerId);
  if (id === null) throw userError('UNAUTHENTICATED', `Sign in to ${action}.`);
  if (ctx.identity.apiTokenId !== undefined)
    throw userError('FORBIDDEN', `API tokens cannot ${action}; sign in with a password.`);
  return id;
}

/** The verified token as the gateway reads it (`apiTokenAuth`). */
export interface ApiTokenAuth {
  status: string;
  tokenId: string | null;
  userId: string | null;
  ownerId: string | null;
  scopes: string[] | null;
  expiresAt: Date | null;
}

/** `Query` fields of bots and API tokens. */
export const integrationQueries = {
  myBots(_: unknown, __: unknown, ctx: UsersContext): Promise<UserRecord[]> {
    return ctx.users.botsOf(sessionViewer(ctx, 'list your bots'));
  },

  myApiTokens(_: unknown, __: unknown, ctx: UsersContext): Promise<ApiTokenRecord[]> {
    return ctx.apiTokens.list(sessionViewer(ctx, 'list your API tokens'));
  },

  async apiTokenAuth(_: unknown, args: { token: string }, ctx: UsersContext): Promise<ApiTokenAuth> {
    const none = { tokenId: null, userId: null, ownerId: null, scopes: null, expiresAt: null };
    if (args.token.length > MAX_TOKEN_LENGTH) return { status: 'invalid', ...none };
    const verdict = await ctx.apiTokens.verify(args.token);
    if (verdict.status !== 'ok') return { status: verdict.status, ...none };
    const { token } = verdict;
    return {
      status: 'ok',
      tokenId: token.id.toString(),
      userId: token.userId.toString(),
      ownerId: token.ownerId.toString(),
      scopes: token.scopes,
      expiresAt: token.expiresAt,
    };
  },
};

/** `Mutation` fields of bots and API tokens. */
export const integrationMutations = {
  async createBot(_: unknown, args: { username: string; displayName: string }, ctx: UsersContext): Promise<UserRecord> {
    const ownerId = sessionViewer(ctx, 'create bots');
    const username = canonicalUsername(args.username, 'username');
    const name = displayName(args.displayName, 'displayName');
    if ((await ctx.users.botsOf(ownerId)).length >= MAX_BOTS_PER_OWNER)
      throw userError('LIMIT_EXCEEDED', `You own ${MAX_BOTS_PER_OWNER} bots already.`);
    // No password: nobody signs in to a bot; it acts through API tokens its owner creates.
    return ctx.users.createUser({ username, displayName: name, passwordHash: '', botOwnerId: ownerId });
  },

  async createApiToken(
    _: unknown,
    args: { name: string; scopes: string[]; botId?: string | null; expiresInDays?: number | null },
    ctx: UsersContext,
  ): Promise<{ token: string; apiToken: ApiTokenRecord }> {
    const ownerId = sessionViewer(ctx, 'create API tokens');
    const name = displayName(args.name, 'name');
    const scopes = [...new Set(args.scopes)].filter(isTokenScope) as TokenScope[];
    if (scopes.length === 0) throw badInput('scopes', 'Give the token at least one scope.');
    let userId = ownerId;
    if (args.botId != null) {
      const botId = parseId(args.botId);
      if (botId === null) throw badInput('botId', 'botId is not a valid user id.');
      if ((await ctx.users.botOwner(botId)) !== ownerId)
        throw userError('FORBIDDEN', 'You can only create tokens for bots you own.', { field: 'botId' });
      userId = botId;
    }
    const days = args.expiresInDays;
    if (days != null && (!Number.isInteger(days) || days < 1 || days > MAX_EXPIRES_IN_DAYS))
      throw badInput('expiresInDays', `expiresInDays must be between 1 and ${MAX_EXPIRES_IN_DAYS} (got ${days}).`);
    const expiresAt = days == null ? null : new Date(ctx.now() + days * 24 * 3600_000);
    const { token, record } = await ctx.apiTokens.create({ ownerId, userId, name, scopes, expiresAt });
    return { token, apiToken: record };
  },

  async revokeApiToken(_: unknown, args: { id: string }, ctx: UsersContext): Promise<boolean> {
    const ownerId = sessionViewer(ctx, 'revoke API tokens');
    const tokenId = parseId(args.id);
    if (tokenId === null) throw badInput('id', 'id is not a valid token id.');
    if (!(await ctx.apiTokens.revoke(ownerId, tokenId)))
      throw userError('NOT_FOUND', 'You have no API token with this id.', { field: 'id' });
    return true;
  },
};

/** Resolvers of `ApiToken`. */
export const ApiToken = {
  id: (token: ApiTokenRecord) => token.id.toString(),
  async user(token: ApiTokenRecord, _: unknown, ctx: UsersContext): Promise<UserRecord> {
    const user = await ctx.users.byId(token.userId);
    if (!user) throw userError('NOT_FOUND', 'The user this token acts as no longer exists.');
    return user;
  },
};
