import { createHash, randomBytes } from 'node:crypto';
import { parseId } from '@chatgraph/ids';

const PREFIX = 'crt_';
// 256 random bits, base64url: 43 characters.
const SECRET = /^[A-Za-z0-9_-]{43}$/;
// The longest well-formed token: prefix, a 20-digit id, the dot and the secret.
const MAX_LENGTH = PREFIX.length + 20 + 1 + 43;

/** A refresh token as issued: the token for the client, its hash for the database. */
export interface IssuedRefreshToken {
  token: string;
  hash: string;
}

/** A presented refresh token, read: which session it claims and the hash to look it up by. */
export interface PresentedRefreshToken {
  sessionId: bigint;
  hash: string;
}

function sha256(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('base64url');
}

/**
 * Opaque refresh tokens: `crt_<sessionId>.<secret>`, the secret 256 random bits. The session id in front names the
 * shard holding the session (ids carry their logical shard), so a refresh needs no lookup to find it; the secret makes
 * the token unguessable. Only a SHA-256 hash of the whole token is stored: a plain hash suffices for 256 random bits
 * (no dictionary to try), and a leaked table gives no usable token.
 */
export const RefreshToken = {
  /** A new token for a session. */
  issue(sessionId: bigint): IssuedRefreshToken {
    const token = `${PREFIX}${sessionId}.${randomBytes(32).toString('base64url')}`;
    return { token, hash: sha256(token) };
  },

  /** The session and hash of a presented token; null when it cannot be a refresh token of ours. */
  read(token: string): PresentedRefreshToken | null {
    if (token.length > MAX_LENGTH || !token.startsWith(PREFIX)) return null;
    const [id, secret, extra] = token.slice(PREFIX.length).split('.');
    if (extra !== undefined || !secret || !SECRET.test(secret)) return null;
    const sessionId = parseId(id);
    return sessionId === null ? null : { sessionId, hash: sha256(token) };
  },
};
