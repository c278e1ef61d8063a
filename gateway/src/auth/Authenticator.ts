import { ApiTokenFormat, TokenError, type TokenScope, type TokenService } from '@chatgraph/auth';
import type { RateLimit, Verdict } from '@chatgraph/ratelimit';
import type { ApiTokenVerifier } from './ApiTokenVerifier';
import type { RevocationList } from './RevocationList';

/** Who a request or a live connection acts for, once its credential was verified. */
export type Principal =
  | { kind: 'session'; userId: string; sessionId: string; expiresAt: Date }
  | {
      kind: 'apiToken';
      userId: string;
      tokenId: string;
      ownerId: string;
      scopes: TokenScope[];
      expiresAt: Date | null;
    };

/** Options of {@link Authenticator}. */
export interface AuthenticatorOptions {
  tokens: TokenService;
  apiTokens: ApiTokenVerifier;
  revocations: RevocationList;
  /** Requests per API token (`RATE_LIMIT_API_TOKEN`). */
  perApiToken: RateLimit;
}

/**
 * Turns a bearer credential into a {@link Principal}, the same way for HTTP and WebSocket: an access token (JWT,
 * verified here) or an API token (`cgt_…`, verified by the users service and cached), refused when revoked. API
 * tokens are also counted against their own rate limit.
 */
export class Authenticator {
  constructor(private readonly options: AuthenticatorOptions) {}

  /** Verifies `credential`; throws {@link TokenError}, or a coded error when the users service cannot answer. */
  async authenticate(credential: string | undefined): Promise<Principal> {
    const { tokens, apiTokens, revocations } = this.options;
    if (credential !== undefined && ApiTokenFormat.looksLike(credential)) {
      const token = await apiTokens.verify(credential);
      if (revocations.isRevoked(token)) throw new TokenError('revoked');
      return { kind: 'apiToken', ...token };
    }
    const verified = await tokens.verify(credential);
    if (revocations.isRevoked(verified)) throw new TokenError('revoked');
    return { kind: 'session', ...verified };
  }

  /** Counts one request of an API token (always allowed for sessions: their limits are per operation). */
  admit(principal: Principal): Promise<Verdict> {
    if (principal.kind !== 'apiToken') return Promise.resolve({ allowed: true });
    return this.options.perApiToken.take(principal.tokenId);
  }
}

/** The scopes of a principal: undefined for a session (every scope). */
export function scopesOf(principal: Principal): TokenScope[] | undefined {
  return principal.kind === 'apiToken' ? principal.scopes : undefined;
}
