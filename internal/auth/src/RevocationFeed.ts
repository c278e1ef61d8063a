/**
 * A session, or every session of a user, that ended before its access tokens expired. Access tokens are stateless
 * JWTs, so the gateways must be told: the users service writes each revocation to Redis and publishes it, and every
 * gateway keeps the set in memory (see the gateway's `RevocationList`).
 *
 * - `session`: every access token carrying `sid = sessionId` is refused (logOut, a reused refresh token).
 * - `user`: every access token of a session of `userId` that started before `notBefore` (ms) is refused
 *   (logOutEverywhere, deleteAccount). A session's start is the time part of its id.
 * - `token`: the API token `tokenId` (acting as `userId`) is refused (revokeApiToken, deleteAccount of its owner).
 *   Gateways cache verified API tokens for a while; the entry outlives that cache, after which the users service
 *   itself refuses the token.
 *
 * `until` (ms since the epoch) is when the entry stops mattering: no access token issued before the revocation is
 * still valid then (the revocation instant plus the access token lifetime, plus a margin for clock skew).
 */
export type Revocation =
  | { kind: 'session'; userId: string; sessionId: string; until: number }
  | { kind: 'user'; userId: string; notBefore: number; until: number }
  | { kind: 'token'; userId: string; tokenId: string; until: number };

/** The Redis names of the feed. */
export interface RevocationKeys {
  /** Sorted set of revoked sessions: member `<userId>:<sessionId>`, score `until`. */
  sessions: string;
  /** Sorted set of per-user instants: member `<userId>:<notBefore>`, score `until`. */
  users: string;
  /** Sorted set of revoked API tokens: member `<userId>:<tokenId>`, score `until`. */
  tokens: string;
  /** Pub/sub channel: one JSON {@link Revocation} per message. */
  channel: string;
}

const ID = /^\d{1,20}$/;
const INSTANT = /^\d{1,15}$/;

function isInstant(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** The one description of how revocations are stored in Redis and published, shared by writer and readers. */
export const RevocationFeed = {
  /**
   * The key and channel names under `namespace` (the deployment's `DB_NAME_PREFIX`: session and user ids are unique
   * only within one set of databases, so two deployments, or two test runs, sharing a Redis never mix their entries);
   * `hashTagged` on a Redis Cluster.
   */
  keys(namespace: string, hashTagged = false): RevocationKeys {
    // On a Redis Cluster a revocation is written to its set and announced on the channel in one MULTI, which must
    // stay in one hash slot: the names share the hash tag `{<namespace>:auth}` there. A single Redis keeps the
    // historical names (so an upgrade keeps the revocations already stored).
    const base = hashTagged ? `{${namespace}:auth}` : `${namespace}:auth`;
    return {
      sessions: `${base}:revoked-sessions`,
      users: `${base}:users-not-before`,
      tokens: `${base}:revoked-tokens`,
      channel: `${base}:revocations`,
    };
  },

  /** The sorted-set member of a revocation (its score is `until`). */
  member(revocation: Revocation): string {
    if (revocation.kind === 'session') return `${revocation.userId}:${revocation.sessionId}`;
    if (revocation.kind === 'token') return `${revocation.userId}:${revocation.tokenId}`;
    return `${revocation.userId}:${revocation.notBefore}`;
  },

  /** The revocation a sorted-set member and score stand for; null for anything malformed. */
  fromMember(kind: Revocation['kind'], member: string, score: number): Revocation | null {
    const [userId, value, extra] = member.split(':');
    if (extra !== undefined || !userId || !value || !ID.test(userId) || !isInstant(score)) return null;
    if (kind === 'session') return ID.test(value) ? { kind, userId, sessionId: value, until: score } : null;
    if (kind === 'token') return ID.test(value) ? { kind, userId, tokenId: value, until: score } : null;
    return INSTANT.test(value) ? { kind, userId, notBefore: Number(value), until: score } : null;
  },

  /** The pub/sub message of a revocation. */
  encode(revocation: Revocation): string {
    return JSON.stringify(revocation);
  },

  /** The revocation a pub/sub message carries; null for anything that is not one (never throws). */
  decode(message: unknown): Revocation | null {
    if (typeof message !== 'object' || message === null) return null;
    const m = message as Record<string, unknown>;
    if (typeof m.userId !== 'string' || !ID.test(m.userId) || !isInstant(m.until)) return null;
    if (m.kind === 'session' && typeof m.sessionId === 'string' && ID.test(m.sessionId))
      return { kind: 'session', userId: m.userId, sessionId: m.sessionId, until: m.until };
    if (m.kind === 'token' && typeof m.tokenId === 'string' && ID.test(m.tokenId))
      return { kind: 'token', userId: m.userId, tokenId: m.tokenId, until: m.until };
    if (m.kind === 'user' && isInstant(m.notBefore))
      return { kind: 'user', userId: m.userId, notBefore: m.notBefore, until: m.until };
    return null;
  },
};
