import { ApiTokenFormat, isTokenScope, type TokenScope } from '@chatgraph/auth';
import type { ShardedDatabase, UsersClient } from '@chatgraph/db';
import { logicalShardOf, parseId } from '@chatgraph/ids';

/** An API token as stored (never its secret). */
export interface ApiTokenRecord {
  id: bigint;
  ownerId: bigint;
  /** Who the token acts as: the owner or one of the owner's bots. */
  userId: bigint;
  name: string;
  scopes: TokenScope[];
  createdAt: Date;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
}

/** What verifying a presented token found. */
export type TokenVerdict =
  { status: 'ok'; token: ApiTokenRecord } | { status: 'invalid' | 'revoked' | 'expired'; token?: undefined };

interface TokenRow {
  id: bigint;
  owner_id: bigint;
  user_id: bigint;
  name: string;
  token_hash: string;
  scopes: string[];
  created_at: Date;
  expires_at: Date | null;
  last_used_at: Date | null;
  revoked_at: Date | null;
  owner_deleted: boolean;
}

// Interactive transactions wait this long for a pooled connection, and may run this long, before giving up.
const TX_OPTIONS = { maxWait: 5_000, timeout: 10_000 } as const;
/** `last_used_at` is written at most this often per token. */
const LAST_USED_RESOLUTION_MS = 60_000;

function record(row: TokenRow): ApiTokenRecord {
  return {
    id: row.id,
    ownerId: row.owner_id,
    userId: row.user_id,
    name: row.name,
    scopes: row.scopes.filter(isTokenScope),
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    lastUsedAt: row.last_used_at,
  };
}

/**
 * Every SQL statement about API tokens. A token lives on its owner's shard (its id is made on the owner's logical
 * shard), so creating, listing, revoking and verifying one are each one shard's business.
 */
export class ApiTokenStore {
  constructor(
    private readonly db: ShardedDatabase<UsersClient>,
    private readonly now: () => number,
  ) {}

  /** Creates a token; returns its record and the token text (shown once). Null when the owner has `max` already. */
  async create(
    input: { ownerId: bigint; userId: bigint; name: string; scopes: TokenScope[]; expiresAt: Date | null },
    max: number,
  ): Promise<{ token: string; record: ApiTokenRecord } | null> {
    const { ownerId } = input;
    return this.db.clientFor(ownerId).$transaction(async (tx) => {
      // The owner's row, locked: concurrent creations count one after the other.
      await tx.$queryRaw`SELECT id FROM users WHERE id = ${ownerId} FOR UPDATE`;
      const [count] = await tx.$queryRaw<Array<{ n: number }>>`
        SELECT count(*)::int AS n FROM api_tokens
         WHERE owner_id = ${ownerId} AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())`;
      if ((count?.n ?? 0) >= max) return null;
      const [row] = await tx.$queryRaw<Array<{ id: bigint }>>`
        SELECT chatgraph_next_id(${logicalShardOf(ownerId)}::int) AS id`;
      const id = row!.id;
      const { token, hash } = ApiTokenFormat.issue(id);
      const created = await tx.apiToken.create({
        data: {
          id,
          ownerId,
          userId: input.userId,
          name: input.name,
          tokenHash: hash,
          scopes: input.scopes,
          createdAt: new Date(this.now()),
          expiresAt: input.expiresAt,
        },
      });
      return {
        token,
        record: {
          id,
          ownerId,
          userId: created.userId,
          name: created.name,
          scopes: input.scopes,
          createdAt: created.createdAt,
          expiresAt: created.expiresAt,
          lastUsedAt: null,
        },
      };
    }, TX_OPTIONS);
  }

  /** The owner's tokens that still work, oldest first. */
  async listOf(ownerId: bigint): Promise<ApiTokenRecord[]> {
    const rows = await this.db.clientFor(ownerId).$queryRaw<TokenRow[]>`
      SELECT t.*, false AS owner_deleted FROM api_tokens t
       WHERE t.owner_id = ${ownerId} AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > now())
       ORDER BY t.id`;
    return rows.map(record);
  }

  /**
   * Revokes one of the owner's tokens; returns who it acted as, also when it was revoked before (revoking twice is
   * fine), or null when the owner has no such token.
   */
  async revoke(ownerId: bigint, tokenId: bigint): Promise<{ userId: bigint } | null> {
    const client = this.db.clientFor(tokenId);
    await client.apiToken.updateMany({
      where: { id: tokenId, ownerId, revokedAt: null },
      data: { revokedAt: new Date(this.now()) },
    });
    const row = await client.apiToken.findFirst({ where: { id: tokenId, ownerId }, select: { userId: true } });
    return row;
  }

  /**
   * Checks a presented token: its hash, that it is neither revoked nor expired, and that its owner still exists.
   * Records the use in `last_used_at` when the last record is older than a minute (gateways verify a token at most
   * once per cache period, so this is never a write per request).
   */
  async verify(presented: string): Promise<TokenVerdict> {
    const read = ApiTokenFormat.read(presented);
    const tokenId = read && parseId(read.tokenId);
    if (!read || tokenId === null) return { status: 'invalid' };
    const client = this.db.clientFor(tokenId);
    const [row] = await client.$queryRaw<TokenRow[]>`
      SELECT t.*, (o.id IS NULL OR o.deleted_at IS NOT NULL) AS owner_deleted
        FROM api_tokens t LEFT JOIN users o ON o.id = t.owner_id
       WHERE t.id = ${tokenId}`;
    if (!row || row.token_hash !== read.hash) return { status: 'invalid' };
    if (row.revoked_at !== null || row.owner_deleted) return { status: 'revoked' };
    const now = this.now();
    if (row.expires_at !== null && row.expires_at.getTime() <= now) return { status: 'expired' };
    if (row.last_used_at === null || now - row.last_used_at.getTime() >= LAST_USED_RESOLUTION_MS) {
      const at = new Date(now);
      await client.$executeRaw`
        UPDATE api_tokens SET last_used_at = ${at}
         WHERE id = ${tokenId} AND (last_used_at IS NULL OR last_used_at < ${new Date(now - LAST_USED_RESOLUTION_MS)})`;
      row.last_used_at = at;
    }
    return { status: 'ok', token: record(row) };
  }
}
