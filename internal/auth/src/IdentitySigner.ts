import { createHmac, timingSafeEqual } from 'node:crypto';
import { userError } from '@chatgraph/errors';
import type { GraphQLError } from 'graphql';

/** Header the gateway sets on every subgraph request. */
export const IDENTITY_HEADER = 'x-chatgraph-identity';

/** Who a request acts for, as the gateway vouches for it. `userId` is null for anonymous requests (signUp, logIn). */
export interface Identity {
  userId: string | null;
}

/** Why a subgraph refused the identity header. */
export type IdentityRejection = 'missing' | 'malformed' | 'bad_signature' | 'stale';

/** A refused identity header. */
export class IdentityError extends Error {
  constructor(readonly reason: IdentityRejection) {
    super(`identity header refused: ${reason}`);
    this.name = 'IdentityError';
  }
  toGraphQLError(): GraphQLError {
    return userError(
      'UNAUTHENTICATED',
      this.reason === 'missing'
        ? 'This service only answers requests that come through the chatgraph gateway.'
        : `The gateway identity header is not valid (${this.reason}); send requests through the chatgraph gateway.`,
      { reason: `identity_${this.reason}` },
    );
  }
}

/** Options of {@link IdentitySigner}. */
export interface IdentitySignerOptions {
  secret: string;
  /** How far a header's timestamp may be from now before it is refused (replay window). @default 300000 */
  maxSkewMs?: number;
  /** @default Date.now */
  now?: () => number;
}

/**
 * Signs and verifies the internal identity header (HMAC-SHA256 over the payload with a secret shared by the gateway
 * and the subgraphs). Without a valid header a subgraph answers nothing, so calling a subgraph directly (for example
 * `_entities`, or a forged user id) cannot bypass the gateway's token check.
 *
 * Format: `v1.<base64url(JSON {sub, iat})>.<base64url(HMAC)>`.
 */
export class IdentitySigner {
  private readonly key: Buffer;
  private readonly maxSkewMs: number;
  private readonly now: () => number;

  constructor(options: IdentitySignerOptions) {
    this.key = Buffer.from(options.secret, 'utf8');
    this.maxSkewMs = options.maxSkewMs ?? 300_000;
    this.now = options.now ?? Date.now;
  }

  /** The header value for `identity`, stamped now. */
  sign(identity: Identity): string {
    const body = Buffer.from(JSON.stringify({ sub: identity.userId, iat: this.now() })).toString('base64url');
    return `v1.${body}.${this.mac(body)}`;
  }

  /** Verifies a header value; throws {@link IdentityError}. */
  verify(header: string | undefined | null): Identity {
    if (!header) throw new IdentityError('missing');
    const parts = header.split('.');
    if (parts.length !== 3 || parts[0] !== 'v1') throw new IdentityError('malformed');
    const [, body, mac] = parts as [string, string, string];
    const expected = Buffer.from(this.mac(body), 'base64url');
    const given = Buffer.from(mac, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new IdentityError('bad_signature');
    let payload: { sub?: unknown; iat?: unknown };
    try {
      payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    } catch {
      throw new IdentityError('malformed');
    }
    // JSON.parse also yields null, numbers and arrays; only an object can be an identity.
    if (typeof payload !== 'object' || payload === null) throw new IdentityError('malformed');
    if (typeof payload.iat !== 'number' || (payload.sub !== null && typeof payload.sub !== 'string'))
      throw new IdentityError('malformed');
    if (Math.abs(this.now() - payload.iat) > this.maxSkewMs) throw new IdentityError('stale');
    return { userId: payload.sub };
  }

  private mac(body: string): string {
    return createHmac('sha256', this.key).update(`v1.${body}`).digest('base64url');
  }
}
