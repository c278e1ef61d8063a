import { SignJWT, jwtVerify, errors as joseErrors, type JWTPayload } from 'jose';
import { LRUCache } from 'lru-cache';
import { userError } from '@chatgraph/errors';
import type { GraphQLError } from 'graphql';

/** One HMAC signing key. `notAfter` ends the grace period of a retired key. */
export interface TokenKey {
  id: string;
  secret: string;
  notAfter?: Date;
}

/** Options of {@link TokenService}. */
export interface TokenServiceOptions {
  /** The key new tokens are signed with. */
  current: TokenKey;
  /** Retired keys still accepted for verification until their `notAfter` (rotation grace period). */
  previous?: TokenKey[];
  issuer: string;
  audience: string;
  /** Lifetime of an access token. @default 900 */
  ttlSeconds?: number;
  /** Injected clock for tests. @default Date.now */
  now?: () => number;
  /**
   * How many verified tokens to remember, so that a client's next request with the same token skips the signature
   * check; 0 turns the memory off. An entry is used only while the token is unexpired and its key still accepted.
   * @default 10000
   */
  verifiedCacheMax?: number;
}

/** What a verified access token says. */
export interface VerifiedToken {
  userId: string;
  /** The session the token belongs to (claim `sid`): logging out revokes it. */
  sessionId: string;
  expiresAt: Date;
}

/** Why a token was refused; all map to `UNAUTHENTICATED`. */
export type TokenRejection =
  | 'missing'
  | 'malformed'
  | 'expired'
  | 'invalid_signature'
  | 'unknown_key'
  | 'invalid_claims'
  | 'revoked'
  | 'unknown_api_token';

/** A refused token: carries the reason for logs and a GraphQL error for clients. */
export class TokenError extends Error {
  constructor(readonly reason: TokenRejection) {
    super(`access token refused: ${reason}`);
    this.name = 'TokenError';
  }
  toGraphQLError(): GraphQLError {
    const text: Record<TokenRejection, string> = {
      missing: 'Sign in first: this operation needs an access token (Authorization: Bearer <token>).',
      malformed: 'The access token is malformed; sign in again.',
      expired: 'The access token has expired; sign in again.',
      invalid_signature: 'The access token signature is not valid; sign in again.',
      unknown_key: 'The access token was signed with a key that is no longer accepted; sign in again.',
      invalid_claims: 'The access token was not issued for this API; sign in again.',
      revoked: 'The session of this access token has ended (logged out, or the account was deleted); sign in again.',
      unknown_api_token: 'The API token is not valid (unknown or mistyped); create a new one.',
    };
    return userError('UNAUTHENTICATED', text[this.reason], { reason: this.reason });
  }
}

const ALG = 'HS256';

/**
 * Signs and verifies JWT access tokens (HS256, with `kid`, `iss`, `aud`, `exp`, and the session id `sid`). Keys rotate:
 * tokens are signed with the current key; a token whose `kid` names a previous key is accepted until that key's
 * `notAfter`. Whether the token's session was revoked is not this class's business (see the gateway's revocation list).
 */
export class TokenService {
  private readonly keys = new Map<string, { key: Uint8Array; notAfter?: Date }>();
  private readonly now: () => number;
  private readonly ttlSeconds: number;
  /**
   * Tokens verified before, with the instant (ms) until which that verdict holds: the token's expiry, or its key's
   * `notAfter` if sooner. A token is immutable, so a signature that was valid stays valid; only time can end it.
   * Refused tokens are never remembered, so garbage cannot fill it, and it is bounded by count.
   */
  private readonly verified: LRUCache<string, { token: VerifiedToken; validUntil: number }> | undefined;

  constructor(private readonly options: TokenServiceOptions) {
    this.now = options.now ?? Date.now;
    this.ttlSeconds = options.ttlSeconds ?? 3600;
    for (const k of [options.current, ...(options.previous ?? [])]) {
      this.keys.set(k.id, { key: new TextEncoder().encode(k.secret), notAfter: k.notAfter });
    }
    const max = options.verifiedCacheMax ?? 10_000;
    this.verified = max > 0 ? new LRUCache({ max }) : undefined;
  }

  /** Issues an access token for `userId` in the session `sessionId`. */
  async sign(userId: string, sessionId: string): Promise<{ token: string; expiresAt: Date }> {
    const iat = Math.floor(this.now() / 1000);
    const exp = iat + this.ttlSeconds;
    const { current } = this.options;
    const token = await new SignJWT({ sid: sessionId })
      .setProtectedHeader({ alg: ALG, kid: current.id, typ: 'JWT' })
      .setSubject(userId)
      .setIssuer(this.options.issuer)
      .setAudience(this.options.audience)
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .sign(this.keys.get(current.id)!.key);
    return { token, expiresAt: new Date(exp * 1000) };
  }

  /** Verifies a token; throws {@link TokenError} saying why it was refused. */
  async verify(token: string | undefined | null): Promise<VerifiedToken> {
    if (!token) throw new TokenError('missing');
    const remembered = this.verified?.get(token);
    if (remembered) {
      if (this.now() < remembered.validUntil) return remembered.token;
      this.verified!.delete(token);
    }
    let payload: JWTPayload;
    let kid: string | undefined;
    try {
      ({ payload } = await jwtVerify(
        token,
        async (header) => {
          kid = header.kid;
          const entry = header.kid ? this.keys.get(header.kid) : undefined;
          if (!entry) throw new TokenError('unknown_key');
          if (entry.notAfter && entry.notAfter.getTime() <= this.now()) throw new TokenError('unknown_key');
          return entry.key;
        },
        {
          algorithms: [ALG],
          issuer: this.options.issuer,
          audience: this.options.audience,
          currentDate: new Date(this.now()),
          requiredClaims: ['sub', 'exp', 'sid'],
        },
      ));
    } catch (err) {
      throw toTokenError(err);
    }
    if (!isId(payload.sub) || !isId(payload.sid)) throw new TokenError('invalid_claims');
    const verified = { userId: payload.sub, sessionId: payload.sid, expiresAt: new Date(payload.exp! * 1000) };
    if (this.verified) {
      const notAfter = kid !== undefined ? this.keys.get(kid)?.notAfter?.getTime() : undefined;
      const validUntil = Math.min(verified.expiresAt.getTime(), notAfter ?? Infinity);
      this.verified.set(token, { token: verified, validUntil });
    }
    return verified;
  }
}

/** User and session ids are decimal strings of 64-bit ids. */
function isId(value: unknown): value is string {
  return typeof value === 'string' && /^\d{1,20}$/.test(value);
}

function toTokenError(err: unknown): TokenError {
  if (err instanceof TokenError) return err;
  if (err instanceof joseErrors.JWTExpired) return new TokenError('expired');
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return new TokenError('invalid_signature');
  if (err instanceof joseErrors.JWTClaimValidationFailed) return new TokenError('invalid_claims');
  return new TokenError('malformed');
}

/** Extracts the token from an `Authorization: Bearer <token>` header value. */
export function bearerToken(header: string | undefined | null): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return m?.[1];
}
