import type { Revocation, TokenService } from '@chatgraph/auth';
import { userError } from '@chatgraph/errors';
import type { Logger } from '@chatgraph/logging';
import type { GraphQLError } from 'graphql';
import type { RevocationPublisher } from './RevocationPublisher';
import type { IssuedSession, RefreshRefusal, SessionStore } from './SessionStore';

/** Options of {@link Sessions}. */
export interface SessionsOptions {
  store: SessionStore;
  tokens: TokenService;
  revocations: RevocationPublisher;
  /** Lifetime of access tokens: how long a revocation must be remembered. */
  accessTtlMs: number;
  /** How long gateways trust a verified API token: how long an API token's revocation must be remembered. */
  tokenCacheMs: number;
  logger: Logger;
  now: () => number;
}

/** An access token and a refresh token of one session. */
export interface SessionTokens {
  userId: bigint;
  token: string;
  expiresAt: Date;
  refreshToken: string;
  refreshExpiresAt: Date;
}

/** Revocations are kept this much longer than the access token lifetime, for clocks of services that disagree. */
export const CLOCK_SKEW_MS = 60_000;

const REFUSALS: Record<RefreshRefusal | 'reused', [reason: string, message: string]> = {
  invalid: ['refresh_token_invalid', 'The refresh token is not valid; sign in again.'],
  revoked: ['session_revoked', 'The session has ended (logged out or revoked); sign in again.'],
  expired: ['session_expired', 'The session has expired; sign in again.'],
  rotated: [
    'refresh_token_rotated',
    'This refresh token was just exchanged for a new one; use the new one, or sign in again.',
  ],
  reused: [
    'refresh_token_reused',
    'This refresh token had already been exchanged: the session was ended to protect the account; sign in again.',
  ],
};

function refused(why: RefreshRefusal | 'reused'): GraphQLError {
  const [reason, message] = REFUSALS[why];
  return userError('UNAUTHENTICATED', message, { reason });
}

/**
 * Sessions as the API sees them: signing in starts one (an access token carrying its id as `sid`, and a refresh
 * token), `refreshSession` rotates it, logging out revokes one or all. Every revocation is written to the database
 * first (refresh tokens stop at once) and then to Redis for the gateways (access tokens stop at once); if Redis cannot
 * take it the call fails with `SERVICE_UNAVAILABLE` and may simply be repeated.
 */
export class Sessions {
  constructor(private readonly options: SessionsOptions) {}

  /** Starts a session for a user who just signed in; null when the account no longer exists. */
  async start(userId: bigint): Promise<SessionTokens | null> {
    const session = await this.options.store.create(userId);
    return session && this.tokensFor(session);
  }

  /** Rotates a refresh token; throws `UNAUTHENTICATED` (with `extensions.reason`) when it is refused. */
  async refresh(refreshToken: string): Promise<SessionTokens> {
    const outcome = await this.options.store.rotate(refreshToken);
    if (outcome.ok) return this.tokensFor(outcome.session);
    if (outcome.reason === 'reused') {
      const { userId, sessionId } = outcome;
      this.options.logger.warn({ userId, sessionId }, 'a retired refresh token was presented: session revoked');
      // The session is revoked in the database already (no refresh works); its access tokens end when this reaches
      // the gateways. Whoever presented the token is refused either way, so an outage only delays that part.
      await this.options.revocations
        .publish(this.sessionRevocation(userId, sessionId))
        .catch((err: unknown) => this.options.logger.error({ err, sessionId }, 'could not announce a revoked session'));
    }
    throw refused(outcome.reason);
  }

  /** Ends one session of the user (the one of the access token): its tokens stop working on every gateway. */
  async logOut(userId: bigint, sessionId: bigint): Promise<void> {
    if (!(await this.options.store.revoke(userId, sessionId, 'logout')))
      throw userError('UNAUTHENTICATED', 'This access token belongs to no session of yours; sign in again.');
    await this.options.revocations.publish(this.sessionRevocation(userId, sessionId));
  }

  /**
   * Ends every session of the user, and with `deleteAccount` the account too. False when there is no such user.
   * Repeating it is harmless (a retry after SERVICE_UNAVAILABLE announces it again).
   */
  async endAll(userId: bigint, deleteAccount: boolean): Promise<boolean> {
    const reason = deleteAccount ? 'account_deleted' : 'logout_everywhere';
    const revoked = await this.options.store.revokeAll(userId, reason, deleteAccount);
    if (!revoked) return false;
    const { notBefore, tokens } = revoked;
    await this.options.revocations.publish({
      kind: 'user',
      userId: String(userId),
      notBefore,
      until: this.rememberUntil(notBefore),
    });
    for (const token of tokens)
      await this.options.revocations.publish({
        kind: 'token',
        userId: String(token.userId),
        tokenId: String(token.id),
        until: this.options.now() + this.options.tokenCacheMs + CLOCK_SKEW_MS,
      });
    return true;
  }

  private sessionRevocation(userId: bigint, sessionId: bigint): Revocation {
    return { kind: 'session', userId: String(userId), sessionId: String(sessionId), until: this.rememberUntil(0) };
  }

  /** When no access token issued before a revocation at `at` (or now, if later) can still be valid. */
  private rememberUntil(at: number): number {
    return Math.max(this.options.now(), at) + this.options.accessTtlMs + CLOCK_SKEW_MS;
  }

  private async tokensFor(session: IssuedSession): Promise<SessionTokens> {
    const { token, expiresAt } = await this.options.tokens.sign(String(session.userId), String(session.sessionId));
    return {
      userId: session.userId,
      token,
      expiresAt,
      refreshToken: session.refreshToken,
      refreshExpiresAt: session.refreshExpiresAt,
    };
  }
}
