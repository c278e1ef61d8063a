import type { ShardedDatabase, UsersClient } from '@chatgraph/db';
import { logicalShardOf } from '@chatgraph/ids';
import { RefreshToken } from './RefreshToken';

/** Why a session was revoked (stored in `sessions.revoked_reason`). */
export type RevokeReason = 'logout' | 'logout_everywhere' | 'refresh_token_reused' | 'account_deleted';

/** How long sessions last. */
export interface SessionPolicy {
  /** A session ends this long after sign-in, however active (absolute expiry). */
  ttlMs: number;
  /** A session ends when it was not refreshed for this long (idle expiry). */
  idleMs: number;
  /** A refresh token retired less than this long ago is refused without revoking its session (see `rotate`). */
  reuseGraceMs: number;
}

/** A session with a newly issued refresh token. */
export interface IssuedSession {
  sessionId: bigint;
  userId: bigint;
  refreshToken: string;
  /** When the refresh token stops working if it is not used: the earlier of the absolute and the idle expiry. */
  refreshExpiresAt: Date;
}

/** Why a refresh token was refused. */
export type RefreshRefusal = 'invalid' | 'revoked' | 'expired' | 'rotated';

/** What presenting a refresh token did. */
export type RotateOutcome =
  | { ok: true; session: IssuedSession }
  | { ok: false; reason: RefreshRefusal }
  /** A retired token came back: the session was revoked (committed) and its access tokens must be revoked too. */
  | { ok: false; reason: 'reused'; userId: bigint; sessionId: bigint };

interface LockedSession {
  user_id: bigint;
  generation: number;
  last_used_at: Date;
  expires_at: Date;
  revoked_at: Date | null;
}

// Interactive transactions wait this long for a pooled connection, and may run this long, before giving up.
const TX_OPTIONS = { maxWait: 5_000, timeout: 10_000 } as const;

/**
 * Every SQL statement about sessions. A session lives on its user's shard (its id is made there), and its refresh
 * tokens with it, so each operation is one local transaction found from the session id alone.
 */
export class SessionStore {
  constructor(
    private readonly db: ShardedDatabase<UsersClient>,
    private readonly policy: SessionPolicy,
    private readonly now: () => number,
  ) {}

  /** Starts a session for a user with its first refresh token; null when the user does not exist or was deleted. */
  async create(userId: bigint): Promise<IssuedSession | null> {
    const now = this.now();
    return this.db.clientFor(userId).$transaction(async (tx) => {
      // FOR SHARE against revokeAll's FOR UPDATE: a session is either created before a logOutEverywhere (and revoked
      // by it) or after it, and then its id (which starts with the time) is after that revocation's instant.
      const [user] = await tx.$queryRaw<Array<{ deleted: boolean }>>`
        SELECT deleted_at IS NOT NULL AS deleted FROM users WHERE id = ${userId} FOR SHARE`;
      if (!user || user.deleted) return null;
      const [row] = await tx.$queryRaw<Array<{ id: bigint }>>`
        SELECT chatgraph_next_id(${logicalShardOf(userId)}::int) AS id`;
      const sessionId = row!.id;
      const { token, hash } = RefreshToken.issue(sessionId);
      const expiresAt = new Date(now + this.policy.ttlMs);
      const at = new Date(now);
      await tx.session.create({
        data: {
          id: sessionId,
          userId,
          generation: 1,
          createdAt: at,
          lastUsedAt: at,
          expiresAt,
          refreshTokens: { create: { tokenHash: hash, generation: 1, createdAt: at } },
        },
      });
      return { sessionId, userId, refreshToken: token, refreshExpiresAt: this.refreshExpiry(expiresAt, now) };
    }, TX_OPTIONS);
  }

  /**
   * Exchanges a refresh token for the next one (rotation): the presented token is retired and stops working. The
   * session row is locked, so of concurrent calls with one token exactly one wins; the others find it retired.
   *
   * A retired token presented again is reuse: someone holds a copy (OAuth 2.0 Security BCP, refresh token rotation),
   * so the whole session is revoked. Except within `reuseGraceMs` of its retirement: then it is only refused, because
   * that is what a client's own retry of a refresh whose answer was lost, or two tabs refreshing at once, look like,
   * and the caller still gets nothing (no new token) either way.
   */
  async rotate(presented: string): Promise<RotateOutcome> {
    const read = RefreshToken.read(presented);
    if (!read) return { ok: false, reason: 'invalid' };
    const { sessionId, hash } = read;
    return this.db.clientFor(sessionId).$transaction(async (tx): Promise<RotateOutcome> => {
      const [session] = await tx.$queryRaw<LockedSession[]>`
        SELECT user_id, generation, last_used_at, expires_at, revoked_at FROM sessions WHERE id = ${sessionId} FOR UPDATE`;
      if (!session) return { ok: false, reason: 'invalid' };
      const token = await tx.sessionRefreshToken.findUnique({
        where: { sessionId_tokenHash: { sessionId, tokenHash: hash } },
      });
      if (!token) return { ok: false, reason: 'invalid' };
      if (session.revoked_at) return { ok: false, reason: 'revoked' };
      const now = this.now();
      if (now >= this.refreshExpiry(session.expires_at, session.last_used_at.getTime()).getTime())
        return { ok: false, reason: 'expired' };
      const at = new Date(now);
      if (token.generation !== session.generation) {
        if (token.rotatedAt && now - token.rotatedAt.getTime() < this.policy.reuseGraceMs)
          return { ok: false, reason: 'rotated' };
        await tx.session.update({
          where: { id: sessionId },
          data: { revokedAt: at, revokedReason: 'refresh_token_reused' },
        });
        return { ok: false, reason: 'reused', userId: session.user_id, sessionId };
      }
      const next = RefreshToken.issue(sessionId);
      const generation = session.generation + 1;
      await tx.sessionRefreshToken.update({
        where: { sessionId_tokenHash: { sessionId, tokenHash: hash } },
        data: { rotatedAt: at },
      });
      await tx.sessionRefreshToken.create({ data: { sessionId, tokenHash: next.hash, generation, createdAt: at } });
      await tx.session.update({ where: { id: sessionId }, data: { generation, lastUsedAt: at } });
      return {
        ok: true,
        session: {
          sessionId,
          userId: session.user_id,
          refreshToken: next.token,
          refreshExpiresAt: this.refreshExpiry(session.expires_at, now),
        },
      };
    }, TX_OPTIONS);
  }

  /**
   * Revokes one session of a user. True when the session is the user's (revoked now or before: logging out twice is
   * fine), false when the user has no such session.
   */
  async revoke(userId: bigint, sessionId: bigint, reason: RevokeReason): Promise<boolean> {
    const client = this.db.clientFor(sessionId);
    const { count } = await client.session.updateMany({
      where: { id: sessionId, userId, revokedAt: null },
      data: { revokedAt: new Date(this.now()), revokedReason: reason },
    });
    return count > 0 || (await client.session.count({ where: { id: sessionId, userId } })) > 0;
  }

  /**
   * Revokes every session of a user and, with `deleteAccount`, turns the account into a tombstone (display name
   * "Deleted user", no password; the username stays reserved). Returns the instant (ms) before which every session of
   * the user started, or null when there is no such user. Idempotent.
   */
  async revokeAll(
    userId: bigint,
    reason: RevokeReason,
    deleteAccount: boolean,
  ): Promise<{ notBefore: number; tokens: Array<{ id: bigint; userId: bigint }> } | null> {
    return this.db.clientFor(userId).$transaction(async (tx) => {
      const [user] = await tx.$queryRaw<Array<{ id: bigint }>>`SELECT id FROM users WHERE id = ${userId} FOR UPDATE`;
      if (!user) return null;
      // Taken once the user row is locked, from the clock that stamps session ids (this database's): every session
      // that exists now started before it (hence + 1 ms), every later one after it.
      const [clock] = await tx.$queryRaw<Array<{ not_before: bigint }>>`
        SELECT (floor(extract(epoch FROM clock_timestamp()) * 1000) + 1)::bigint AS not_before`;
      // Hold the lock until the clock has passed that instant: a session created once it is released (a sign-in right
      // after logOutEverywhere) then has an id time at or after it, and is never mistaken for a revoked one.
      await tx.$queryRaw`SELECT 1 AS slept FROM pg_sleep(0.002)`;
      const at = new Date(this.now());
      await tx.session.updateMany({
        where: { userId, revokedAt: null },
        data: { revokedAt: at, revokedReason: reason },
      });
      let tokens: Array<{ id: bigint; userId: bigint }> = [];
      if (deleteAccount) {
        await tx.$executeRaw`
          UPDATE users SET deleted_at = coalesce(deleted_at, ${at}), display_name = 'Deleted user', password_hash = '',
            email = NULL, email_verified_at = NULL, updated_at = ${at}
          WHERE id = ${userId}`;
        await tx.$executeRaw`DELETE FROM email_verifications WHERE user_id = ${userId}`;
        // The account's API tokens (its own and its bots') end with it; they live on its shard, in this transaction.
        const rows = await tx.$queryRaw<Array<{ id: bigint; user_id: bigint }>>`
          UPDATE api_tokens SET revoked_at = coalesce(revoked_at, ${at}) WHERE owner_id = ${userId}
          RETURNING id, user_id`;
        tokens = rows.map((r) => ({ id: r.id, userId: r.user_id }));
      }
      return { notBefore: Number(clock!.not_before), tokens };
    }, TX_OPTIONS);
  }

  /** When a refresh token issued or used at `lastUsedMs` stops working: the earlier of the two expiries. */
  private refreshExpiry(expiresAt: Date, lastUsedMs: number): Date {
    return new Date(Math.min(expiresAt.getTime(), lastUsedMs + this.policy.idleMs));
  }
}
