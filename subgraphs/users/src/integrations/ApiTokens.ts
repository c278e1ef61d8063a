import type { TokenScope } from '@chatgraph/auth';
import { userError } from '@chatgraph/errors';
import type { RevocationPublisher } from '../sessions/RevocationPublisher';
import { CLOCK_SKEW_MS } from '../sessions/Sessions';
import type { ApiTokenRecord, ApiTokenStore, TokenVerdict } from './ApiTokenStore';

/** Options of {@link ApiTokens}. */
export interface ApiTokensOptions {
  store: ApiTokenStore;
  revocations: RevocationPublisher;
  /** How long gateways trust a verified token (`API_TOKEN_CACHE_MS`): a revocation is remembered that much longer. */
  cacheMs: number;
  now: () => number;
}

/** Most working tokens one user may have. */
export const MAX_TOKENS_PER_OWNER = 100;

/**
 * API tokens as the API sees them: created for the viewer or one of the viewer's bots, listed, revoked (in the
 * database first, then announced to every gateway like a session's revocation, so it stops at once), and verified
 * for the gateways.
 */
export class ApiTokens {
  constructor(private readonly options: ApiTokensOptions) {}

  /** Creates a token acting as `userId`; LIMIT_EXCEEDED when the owner has {@link MAX_TOKENS_PER_OWNER}. */
  async create(input: {
    ownerId: bigint;
    userId: bigint;
    name: string;
    scopes: TokenScope[];
    expiresAt: Date | null;
  }): Promise<{ token: string; record: ApiTokenRecord }> {
    const created = await this.options.store.create(input, MAX_TOKENS_PER_OWNER);
    if (!created)
      throw userError(
        'LIMIT_EXCEEDED',
        `You have ${MAX_TOKENS_PER_OWNER} API tokens already; revoke some before creating another.`,
      );
    return created;
  }

  /** The owner's working tokens. */
  list(ownerId: bigint): Promise<ApiTokenRecord[]> {
    return this.options.store.listOf(ownerId);
  }

  /** Revokes one of the owner's tokens everywhere; false when the owner has no such token. */
  async revoke(ownerId: bigint, tokenId: bigint): Promise<boolean> {
    const revoked = await this.options.store.revoke(ownerId, tokenId);
    if (!revoked) return false;
    // Throws when Redis cannot take it: the caller answers SERVICE_UNAVAILABLE and repeating the call is safe.
    await this.options.revocations.publish({
      kind: 'token',
      userId: String(revoked.userId),
      tokenId: String(tokenId),
      until: this.options.now() + this.options.cacheMs + CLOCK_SKEW_MS,
    });
    return true;
  }

  /** Verifies a presented token (for the gateways). */
  verify(token: string): Promise<TokenVerdict> {
    return this.options.store.verify(token);
  }
}
