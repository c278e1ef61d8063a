import { createHash, randomBytes } from 'node:crypto';

const PREFIX = 'cgt_';
// 256 random bits, base64url: 43 characters.
const SECRET = /^[A-Za-z0-9_-]{43}$/;
const ID = /^[1-9][0-9]{0,19}$/;
// The longest well-formed token: prefix, a 20-digit id, the dot and the secret.
const MAX_LENGTH = PREFIX.length + 20 + 1 + 43;

/** A token as issued: the text shown once, and the hash that is stored. */
export interface IssuedApiToken {
  token: string;
  hash: string;
}

/** A presented token, read: the token id it claims and its hash. */
export interface PresentedApiToken {
  tokenId: string;
  hash: string;
}

function sha256(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('base64url');
}

/**
 * API tokens: `cgt_<tokenId>.<secret>`, the secret 256 random bits. Like refresh tokens, the id in front names the
 * shard holding the token (ids carry their logical shard), so verifying one is a primary-key read on one shard, and
 * only a SHA-256 hash of the whole token is stored (a plain hash suffices for 256 random bits).
 */
export const ApiTokenFormat = {
  /** True when `token` looks like an API token (it is then never verified as a JWT). */
  looksLike(token: string): boolean {
    return token.startsWith(PREFIX);
  },

  /** A new token for the token row `tokenId`. */
  issue(tokenId: bigint | string): IssuedApiToken {
    const token = `${PREFIX}${tokenId}.${randomBytes(32).toString('base64url')}`;
    return { token, hash: sha256(token) };
  },

  /** The id and hash of a presented token; null when it cannot be one of ours. */
  read(token: string): PresentedApiToken | null {
    if (token.length > MAX_LENGTH || !token.startsWith(PREFIX)) return null;
    const [id, secret, extra] = token.slice(PREFIX.length).split('.');
    if (extra !== undefined || !id || !ID.test(id) || !secret || !SECRET.test(secret)) return null;
    return { tokenId: id, hash: sha256(token) };
  },
};
