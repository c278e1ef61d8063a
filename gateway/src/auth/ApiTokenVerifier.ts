import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { ApiTokenFormat, isTokenScope, TokenError, type TokenScope } from '@chatgraph/auth';
import type { SubgraphClient } from '@chatgraph/service';

/** A verified API token: who it acts as and what it may do. */
export interface ApiTokenPrincipal {
  /** The user the token acts as (a bot, or its owner). */
  userId: string;
  tokenId: string;
  /** Who created the token. */
  ownerId: string;
  scopes: TokenScope[];
  /** When it stops working; null: never. */
  expiresAt: Date | null;
}

/** Options of {@link ApiTokenVerifier}. */
export interface ApiTokenVerifierOptions {
  /** The users subgraph (its internal `apiTokenAuth`). */
  users: SubgraphClient;
  /** How long a verified token is trusted before the users service is asked again. */
  cacheMs: number;
  /** Most tokens kept. @default 10000 */
  maxEntries?: number;
  /** @default Date.now */
  now?: () => number;
}

interface AuthAnswer {
  apiTokenAuth: {
    status: string;
    tokenId: string | null;
    userId: string | null;
    ownerId: string | null;
    scopes: string[] | null;
    expiresAt: string | null;
  };
}

const QUERY = `query ApiTokenAuth($token: String!) {
  apiTokenAuth(token: $token) { status tokenId userId ownerId scopes expiresAt }
}`;

/**
 * Verifies API tokens (`cgt_…`) for the gateway: the users service owns them (hashes, revocation, expiry), so a
 * token is verified there and then trusted for `cacheMs` (keyed by its SHA-256, never the text). Revocations reach
 * the gateway at once through the revocation feed, which outlives this cache; the cache only saves round trips.
 * Each verification also lets the users service record `lastUsedAt`. Concurrent requests with one unknown token share
 * one call.
 */
export class ApiTokenVerifier {
  private readonly cache: LRUCache<string, ApiTokenPrincipal>;
  private readonly pending = new Map<string, Promise<ApiTokenPrincipal>>();
  private readonly now: () => number;

  constructor(private readonly options: ApiTokenVerifierOptions) {
    this.now = options.now ?? Date.now;
    this.cache = new LRUCache({ max: options.maxEntries ?? 10_000, ttl: options.cacheMs, ttlAutopurge: false });
  }

  /** Tokens held. */
  get size(): number {
    return this.cache.size;
  }

  /** The principal of a presented token; throws {@link TokenError} when it is refused (or a coded outage error). */
  async verify(token: string): Promise<ApiTokenPrincipal> {
    if (!ApiTokenFormat.read(token)) throw new TokenError('unknown_api_token');
    const key = createHash('sha256').update(token).digest('base64url');
    const cached = this.cache.get(key);
    if (cached) {
      if (cached.expiresAt !== null && cached.expiresAt.getTime() <= this.now()) {
        this.cache.delete(key);
        throw new TokenError('expired');
      }
      return cached;
    }
    let call = this.pending.get(key);
    if (!call) {
      call = this.ask(token).finally(() => this.pending.delete(key));
      this.pending.set(key, call);
    }
    const principal = await call;
    const left = principal.expiresAt ? principal.expiresAt.getTime() - this.now() : this.options.cacheMs;
    this.cache.set(key, principal, { ttl: Math.max(1, Math.min(this.options.cacheMs, left)) });
    return principal;
  }

  private async ask(token: string): Promise<ApiTokenPrincipal> {
    const { apiTokenAuth: a } = await this.options.users.request<AuthAnswer>(QUERY, { token }, null);
    if (a.status === 'revoked') throw new TokenError('revoked');
    if (a.status === 'expired') throw new TokenError('expired');
    if (a.status !== 'ok' || !a.tokenId || !a.userId || !a.ownerId || !a.scopes)
      throw new TokenError('unknown_api_token');
    return {
      tokenId: a.tokenId,
      userId: a.userId,
      ownerId: a.ownerId,
      scopes: a.scopes.filter(isTokenScope),
      expiresAt: a.expiresAt ? new Date(a.expiresAt) : null,
    };
  }
}
