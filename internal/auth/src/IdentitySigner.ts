import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { userError } from '@chatgraph/errors';
import type { GraphQLError } from 'graphql';
import { isTokenScope, type TokenScope } from './TokenScopes';

/** Header the gateway sets on every subgraph request. */
export const IDENTITY_HEADER = 'x-chatgraph-identity';

/** Who a request acts for, as the gateway vouches for it. */
export interface Identity {
  /** The verified user; null for anonymous requests (signUp, logIn). */
  userId: string | null;
  /**
   * The client's IP address as the gateway learned it (its socket, or `X-Forwarded-For` from a trusted proxy). Absent
   * when the request did not come from a client (the gateway's own calls, tools).
   */
  clientAddress?: string;
  /**
   * The session of the request's access token (its `sid`), for the users service's `logOut`; absent for anonymous
   * requests and the gateway's own calls.
   */
  sessionId?: string;
  /**
   * The API token the request was made with (its id), absent for session (JWT) users. Subgraphs refuse what only a
   * person signed in with a password may do (creating bots and tokens) when it is set.
   */
  apiTokenId?: string;
  /** The scopes of that API token (set with `apiTokenId`); session users have every scope. */
  scopes?: TokenScope[];
}

/** Why a subgraph refused the identity header. */
export type IdentityRejection = 'missing' | 'malformed' | 'bad_signature' | 'stale' | 'body_mismatch';

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
  /**
   * How far a header's timestamp may be from now before it is refused: clock skew between hosts plus the time a
   * request takes from the gateway to the subgraph. @default 30000
   */
  maxSkewMs?: number;
  /** @default Date.now */
  now?: () => number;
}

/**
 * The signed payload. Every field but `sub`, `iat` and `bd` is optional, so fields can be added without a new version:
 * a verifier ignores fields it does not know, and a signer leaves out what it does not have.
 */
interface IdentityPayload {
  /** User id, or null (anonymous). */
  sub: string | null;
  /** Signing time, ms since the epoch. */
  iat: number;
  /** base64url SHA-256 of the exact request body bytes the header was signed for. */
  bd: string;
  /** The client's address. */
  addr?: string;
  /** The session id. */
  sid?: string;
  /** The API token id. */
  tid?: string;
  /** The API token's scopes. */
  scp?: TokenScope[];
}

const VERSION = 'v2';
/** Longest client address accepted (an IPv6 address with zone is under 50 characters). */
const MAX_ADDRESS_LENGTH = 64;

/** base64url SHA-256 of a request body, as the identity header carries it. */
export function bodyDigest(body: string | Uint8Array): string {
  return createHash('sha256').update(body).digest('base64url');
}

/**
 * Signs and verifies the internal identity header (HMAC-SHA256 over the payload with a secret shared by the gateway
 * and the subgraphs). Without a valid header a subgraph answers nothing, so calling a subgraph directly (for example
 * `_entities`, or a forged user id) cannot bypass the gateway's token check.
 *
 * The header is bound to its request: it carries the SHA-256 of the body it was signed for, and a subgraph checks it
 * against the bytes it received, so a captured header cannot be sent with another operation or other variables. It
 * is accepted for `maxSkewMs` around its signing time; within that window the very same request can be replayed
 * (same user, same operation, same variables), which docs/architecture.md explains.
 *
 * Format: `v2.<base64url(JSON payload)>.<base64url(HMAC)>`.
 */
export class IdentitySigner {
  private readonly key: Buffer;
  private readonly maxSkewMs: number;
  private readonly now: () => number;

  constructor(options: IdentitySignerOptions) {
    this.key = Buffer.from(options.secret, 'utf8');
    this.maxSkewMs = options.maxSkewMs ?? 30_000;
    this.now = options.now ?? Date.now;
  }

  /** The header value for `identity` and the request `body` it goes with (the exact bytes sent), stamped now. */
  sign(identity: Identity, body: string | Uint8Array): string {
    const payload: IdentityPayload = { sub: identity.userId, iat: this.now(), bd: bodyDigest(body) };
    if (identity.clientAddress !== undefined) payload.addr = identity.clientAddress;
    if (identity.sessionId !== undefined) payload.sid = identity.sessionId;
    if (identity.apiTokenId !== undefined) payload.tid = identity.apiTokenId;
    if (identity.scopes !== undefined) payload.scp = identity.scopes;
    const encoded = Buffer.from(JSON.stringify(payload)).toString('base64url');
    return `${VERSION}.${encoded}.${this.mac(encoded)}`;
  }

  /** Verifies a header value against the body that came with it; throws {@link IdentityError}. */
  verify(header: string | undefined | null, body: string | Uint8Array): Identity {
    if (!header) throw new IdentityError('missing');
    const parts = header.split('.');
    if (parts.length !== 3 || parts[0] !== VERSION) throw new IdentityError('malformed');
    const [, encoded, mac] = parts as [string, string, string];
    const expected = Buffer.from(this.mac(encoded), 'base64url');
    const given = Buffer.from(mac, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new IdentityError('bad_signature');
    const payload = parsePayload(encoded);
    if (Math.abs(this.now() - payload.iat) > this.maxSkewMs) throw new IdentityError('stale');
    const signedDigest = Buffer.from(payload.bd, 'base64url');
    const actualDigest = createHash('sha256').update(body).digest();
    if (signedDigest.length !== actualDigest.length || !timingSafeEqual(signedDigest, actualDigest))
      throw new IdentityError('body_mismatch');
    const identity: Identity = { userId: payload.sub };
    if (payload.addr !== undefined) identity.clientAddress = payload.addr;
    if (payload.sid !== undefined) identity.sessionId = payload.sid;
    if (payload.tid !== undefined) identity.apiTokenId = payload.tid;
    if (payload.scp !== undefined) identity.scopes = payload.scp;
    return identity;
  }

  private mac(encoded: string): string {
    return createHmac('sha256', this.key).update(`${VERSION}.${encoded}`).digest('base64url');
  }
}

/** The payload of a correctly signed header, or `malformed` when it is not one this version can read. */
function parsePayload(encoded: string): IdentityPayload {
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8'));
  } catch {
    throw new IdentityError('malformed');
  }
  // JSON.parse also yields null, numbers and arrays; only an object can be an identity.
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new IdentityError('malformed');
  const p = raw as Record<string, unknown>;
  const sub = p.sub;
  if (typeof p.iat !== 'number' || typeof p.bd !== 'string' || (sub !== null && typeof sub !== 'string'))
    throw new IdentityError('malformed');
  const addr = p.addr;
  if (addr !== undefined && (typeof addr !== 'string' || addr.length === 0 || addr.length > MAX_ADDRESS_LENGTH))
    throw new IdentityError('malformed');
  const sid = p.sid;
  if (sid !== undefined && (typeof sid !== 'string' || !/^[1-9][0-9]{0,19}$/.test(sid)))
    throw new IdentityError('malformed');
  const tid = p.tid;
  if (tid !== undefined && (typeof tid !== 'string' || !/^[1-9][0-9]{0,19}$/.test(tid)))
    throw new IdentityError('malformed');
  const scp = p.scp;
  if (scp !== undefined && (!Array.isArray(scp) || !scp.every(isTokenScope))) throw new IdentityError('malformed');
  return {
    sub,
    iat: p.iat,
    bd: p.bd,
    ...(addr !== undefined ? { addr } : {}),
    ...(sid !== undefined ? { sid } : {}),
    ...(tid !== undefined ? { tid } : {}),
    ...(scp !== undefined ? { scp: scp as TokenScope[] } : {}),
  };
}
