import DataLoader from 'dataloader';
import type { ShardedDatabase, UsersClient } from '@chatgraph/db';
import { logicalShardForKey } from '@chatgraph/ids';
import { userError } from '@chatgraph/errors';
import { USER_RECORD_SELECT, type UserRecord } from './UserRecord';
import { isRecordNotFound, isUniqueViolation } from './databaseErrors';

/** What {@link UsersStorage.createUser} stores. */
export interface NewUser {
  /** Canonical (lower-case) username. */
  username: string;
  displayName: string;
  /** The scrypt hash; empty for a bot (nobody signs in to it). */
  passwordHash: string;
  /** Makes the account a bot owned by this user. */
  botOwnerId?: bigint;
}

/** A user with the password hash, for logIn only. */
export interface UserCredentials {
  user: UserRecord;
  passwordHash: string;
}

// Interactive transactions wait this long for a pooled connection, and may run this long, before giving up.
const TX_OPTIONS = { maxWait: 5_000, timeout: 10_000 } as const;

/**
 * Every database access of the users service, for ONE request: reads go through DataLoaders (one query per
 * physical shard per tick, cached for the request) and writes re-prime them. Create one per request.
 */
export class UsersStorage {
  private readonly byIdLoader: DataLoader<bigint, UserRecord | null>;
  private readonly byIdOnPrimaryLoader: DataLoader<bigint, UserRecord | null>;
  private readonly byUsernameLoader: DataLoader<string, UserRecord | null>;

  constructor(private readonly db: ShardedDatabase<UsersClient>) {
    this.byIdLoader = new DataLoader((ids) => this.loadByIds(ids, 'replicas'), { maxBatchSize: 1000 });
    this.byIdOnPrimaryLoader = new DataLoader((ids) => this.loadByIds(ids, 'primary'), { maxBatchSize: 1000 });
    this.byUsernameLoader = new DataLoader((names) => this.loadByUsernames(names), { maxBatchSize: 1000 });
  }

  /** The user with this id, or null. Batched: ids requested in the same tick cost one query per physical shard. */
  byId(id: bigint): Promise<UserRecord | null> {
    return this.byIdLoader.load(id);
  }

  /**
   * {@link byId} read on the primary only: for the gateways' entity fetches, whose answers their caches keep (a
   * replica's older profile would be served for up to ENTITY_CACHE_TTL_MS after a change).
   */
  byIdOnPrimary(id: bigint): Promise<UserRecord | null> {
    return this.byIdOnPrimaryLoader.load(id);
  }

  /** The user with this canonical username, or null. Batched like {@link byId}. */
  byUsername(username: string): Promise<UserRecord | null> {
    return this.byUsernameLoader.load(username);
  }

  /**
   * Creates a user and claims its username, atomically; throws `USERNAME_TAKEN` if the name is in use.
   *
   * Why this is one transaction: the username directory entry lives on the logical shard `logicalShardForKey(name)`,
   * and the new user's id is generated ON THAT SAME logical shard (`chatgraph_next_id(logicalShardForKey(name))`), so
   * the directory row and the user row land in one physical database (and stay together when logical shards move).
   * Claiming the name and creating the user is then a single local transaction: of two concurrent signUps with one
   * name, the second's directory INSERT waits on the first's primary-key entry and fails once that commits, its
   * transaction rolls back, and no user without a name (or name without a user) can ever be left behind.
   */
  async createUser(input: NewUser): Promise<UserRecord> {
    const logicalShard = logicalShardForKey(input.username);
    const client = this.db.clientForLogical(logicalShard);
    const user = await client.$transaction(async (tx) => {
      const [row] = await tx.$queryRaw<Array<{ id: bigint }>>`SELECT chatgraph_next_id(${logicalShard}::int) AS id`;
      const id = row!.id;
      try {
        await tx.usernameDirectory.create({ data: { username: input.username, userId: id } });
      } catch (err) {
        if (isUniqueViolation(err))
          throw userError('USERNAME_TAKEN', `The username "${input.username}" is already taken; choose another one.`, {
            field: 'username',
          });
        throw err;
      }
      return tx.user.create({
        data: {
          id,
          username: input.username,
          displayName: input.displayName,
          passwordHash: input.passwordHash,
          isBot: input.botOwnerId !== undefined,
          ownerId: input.botOwnerId ?? null,
        },
        select: USER_RECORD_SELECT,
      });
    }, TX_OPTIONS);
    this.byIdLoader.clear(user.id).prime(user.id, user);
    this.byUsernameLoader.clear(user.username).prime(user.username, user);
    return user;
  }

  /**
   * The user of a canonical username with its password hash, or null when there is no such user (or it was deleted:
   * its username stays reserved, but nobody can sign in to it).
   */
  async findCredentials(username: string): Promise<UserCredentials | null> {
    const entry = await this.db
      .clientForLogical(logicalShardForKey(username))
      .usernameDirectory.findUnique({ where: { username }, select: { userId: true } });
    return entry && this.credentialsById(entry.userId);
  }

  /**
   * A user with its password hash, by id; null when there is no such user, it was deleted, or it is a bot (nobody
   * signs in to a bot).
   */
  async credentialsById(id: bigint): Promise<UserCredentials | null> {
    const row = await this.db.clientFor(id).user.findUnique({
      where: { id },
      select: { ...USER_RECORD_SELECT, passwordHash: true, deletedAt: true },
    });
    if (!row || row.deletedAt || row.isBot) return null;
    const { passwordHash, deletedAt: _, ...user } = row;
    return { user, passwordHash };
  }

  /** The bots `ownerId` created that are not deleted, oldest first (one statement per users shard). */
  async botsOf(ownerId: bigint): Promise<UserRecord[]> {
    const perShard = await Promise.all(
      this.db
        .all()
        .map(({ client }) =>
          client.user.findMany({ where: { ownerId, isBot: true, deletedAt: null }, select: USER_RECORD_SELECT }),
        ),
    );
    return perShard.flat().sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** The owner of a bot that is not deleted; null for anyone else. */
  async botOwner(botId: bigint): Promise<bigint | null> {
    const row = await this.db
      .clientFor(botId)
      .user.findUnique({ where: { id: botId }, select: { isBot: true, ownerId: true, deletedAt: true } });
    return row && row.isBot && !row.deletedAt ? row.ownerId : null;
  }

  /** Sets a user's display name; returns the updated user, or null when the user does not exist. */
  async updateDisplayName(id: bigint, displayName: string): Promise<UserRecord | null> {
    const user = await this.db
      .clientFor(id)
      .user.update({ where: { id }, data: { displayName, updatedAt: new Date() }, select: USER_RECORD_SELECT })
      .catch((err: unknown) => {
        if (isRecordNotFound(err)) return null;
        throw err;
      });
    this.byIdLoader.clear(id);
    if (user) {
      this.byIdLoader.prime(id, user);
      this.byUsernameLoader.clear(user.username).prime(user.username, user);
    }
    return user;
  }

  /**
   * Sets a user's email address (null removes it); a different address than the stored one is unverified until
   * {@link confirmEmail}. An unverified address gets a verification email, recorded in the same transaction for a
   * notifier to send (`email_verifications`: a new address replaces a pending one; the same address is sent a new
   * link at most once a minute). Returns the updated user, or null when the user does not exist or was deleted.
   */
  async updateEmail(id: bigint, email: string | null): Promise<UserRecord | null> {
    const updated = await this.db.clientFor(id).$transaction(async (tx) => {
      const rows = await tx.$queryRaw<Array<{ verified: boolean }>>`
        UPDATE users SET email = ${email},
               email_verified_at = CASE WHEN email IS NOT DISTINCT FROM ${email} THEN email_verified_at END,
               updated_at = now()
         WHERE id = ${id} AND deleted_at IS NULL
        RETURNING email_verified_at IS NOT NULL AS verified`;
      if (rows.length === 0) return false;
      // A removed address, or one verified already, needs no link: an unsent one is dropped.
      if (email === null || rows[0]!.verified)
        await tx.$executeRaw`DELETE FROM email_verifications WHERE user_id = ${id} AND sent_at IS NULL`;
      else {
        await tx.$executeRaw`
          INSERT INTO email_verifications (user_id, email, requested_at) VALUES (${id}, ${email}, clock_timestamp())
          ON CONFLICT (user_id) DO UPDATE
            SET email = EXCLUDED.email, requested_at = EXCLUDED.requested_at, attempts = 0, claimed_until = NULL,
                sent_at = NULL
          WHERE email_verifications.email IS DISTINCT FROM EXCLUDED.email
             OR email_verifications.requested_at < EXCLUDED.requested_at - interval '1 minute'`;
      }
      return true;
    }, TX_OPTIONS);
    this.byIdLoader.clear(id);
    return updated ? this.byId(id) : null;
  }

  /**
   * Marks `email` verified for a user whose address is still `email` (a link for an address replaced since is
   * refused). True when the address is verified now (also when it already was).
   */
  async confirmEmail(id: bigint, email: string): Promise<boolean> {
    const rows = await this.db.clientFor(id).$queryRaw<Array<{ id: bigint }>>`
      UPDATE users SET email_verified_at = coalesce(email_verified_at, now()), updated_at = now()
       WHERE id = ${id} AND email = ${email} AND deleted_at IS NULL
      RETURNING id`;
    this.byIdLoader.clear(id);
    return rows.length > 0;
  }

  /** Replaces a user's password hash (used to upgrade hashes made with older parameters). */
  async updatePasswordHash(id: bigint, passwordHash: string): Promise<void> {
    await this.db.clientFor(id).user.updateMany({ where: { id }, data: { passwordHash, updatedAt: new Date() } });
  }

  /**
   * With `replicas`, profiles run on a read replica when one may serve them (`ShardedDatabase.readAt`: it replayed the
   * viewer's own writes, and is at most REPLICA_MAX_LAG_MS behind); ids a replica does not have yet (an account made
   * a moment ago) are looked up on the primary, so an existing account is never reported missing.
   */
  private async loadByIds(ids: readonly bigint[], where: 'replicas' | 'primary'): Promise<Array<UserRecord | null>> {
    const found = new Map<bigint, UserRecord>();
    const select = (client: UsersClient, group: bigint[]) =>
      client.user.findMany({ where: { id: { in: group } }, select: USER_RECORD_SELECT });
    const replicas = where === 'replicas' && this.db.hasReplicas;
    await Promise.all(
      [...this.db.groupByShard(ids, (id) => id)].map(async ([shard, group]) => {
        const rows = replicas
          ? await this.db.readAt(shard, (client) => select(client, group))
          : await select(this.db.clientAt(shard), group);
        for (const row of rows) found.set(row.id, row);
        const missing = group.filter((id) => !found.has(id));
        if (replicas && missing.length) {
          for (const row of await select(this.db.clientAt(shard), missing)) found.set(row.id, row);
        }
      }),
    );
    return ids.map((id) => found.get(id) ?? null);
  }

  private async loadByUsernames(names: readonly string[]): Promise<Array<UserRecord | null>> {
    // The directory is placed by hash(username), so group names by the physical shard of that logical shard.
    const groups = new Map<number, string[]>();
    for (const name of names) {
      const shard = this.db.map.forLogical(logicalShardForKey(name)).index;
      const group = groups.get(shard);
      if (group) group.push(name);
      else groups.set(shard, [name]);
    }
    const idByName = new Map<string, bigint>();
    await Promise.all(
      [...groups].map(async ([shard, group]) => {
        const select = (client: UsersClient, names: string[]) =>
          client.usernameDirectory.findMany({
            where: { username: { in: names } },
            select: { username: true, userId: true },
          });
        for (const entry of await this.db.readAt(shard, (client) => select(client, group)))
          idByName.set(entry.username, entry.userId);
        const missing = group.filter((name) => !idByName.has(name));
        if (missing.length && this.db.hasReplicas) {
          for (const entry of await select(this.db.clientAt(shard), missing))
            idByName.set(entry.username, entry.userId);
        }
      }),
    );
    // Through the id loader: one more query per shard, and the users are cached by id for the rest of the request.
    return Promise.all(
      names.map((name) => {
        const id = idByName.get(name);
        return id === undefined ? null : this.byIdLoader.load(id);
      }),
    );
  }
}
