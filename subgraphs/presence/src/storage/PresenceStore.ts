import DataLoader from 'dataloader';
import { hashSlot, isCluster, publishCommand, type RedisClient } from '@chatgraph/pubsub';
import { isPresenceStatus, type Presence, type ReportedStatus } from './Presence';
import { presenceScripts } from './presenceScripts';

/** Prefix of the Redis channel a user's transitions are published on; the `@live` topic in the schema matches it. */
export const PRESENCE_CHANNEL_PREFIX = 'presence:';

/** Options of {@link PresenceStore}. */
export interface PresenceStoreOptions {
  /** A single Redis or a cluster (see `createPresenceRedis`). */
  redis: RedisClient;
  /** How long a heartbeat keeps a user ONLINE/AWAY (config `PRESENCE_TTL_SECONDS` × 1000). */
  ttlMs: number;
  /** Prefix of every key; tests give each store its own. @default 'presence:' */
  keyPrefix?: string;
  /** How long `lastSeenAt` is kept after the last heartbeat. @default 30 days */
  retentionMs?: number;
  /** Heartbeats allowed per user per window. @default 10 */
  heartbeatLimit?: number;
  /** Length of the rate-limit window. @default 60000 */
  heartbeatWindowMs?: number;
  /**
   * How long a sweeper holds the users it claimed before another may claim them (a sweeper that died meanwhile).
   * @default 30000
   */
  sweepLeaseMs?: number;
}

/** Outcome of {@link PresenceStore.heartbeat}. */
export type HeartbeatResult =
  | { ok: true; presence: Presence; /** Whether a transition was published. */ changed: boolean }
  | { ok: false; /** When the next heartbeat will be accepted. */ retryAfterMs: number };

/** Outcome of {@link PresenceStore.goOffline}. */
export interface GoOfflineResult {
  presence: Presence;
  /** Whether a transition was published. */
  changed: boolean;
}

/** Outcome of one {@link PresenceStore.sweep} call. */
export interface SweepResult {
  /** Users due in the expiry index that this call looked at. */
  claimed: number;
  /** OFFLINE transitions published by this call. */
  published: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;

function integer(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value))
    throw new Error(`presence script: ${what} is not an integer`);
  return value;
}

function list(value: unknown, what: string): unknown[] {
  if (!Array.isArray(value)) throw new Error(`presence script: ${what} is not a list`);
  return value;
}

/**
 * Presence state in Redis, and every Redis call of the presence service. Each change of a user's state is one Lua
 * script, so that reading the previous state, writing the new one and publishing the transition happen atomically
 * (one transition, one event, however many instances run). The scripts are Redis Cluster safe: a user's keys share
 * the hash slot of the user's channel (`{presence:<id>}`), and the expiry index, which the sweeper reads, is a key
 * of its own written by separate commands (a heartbeat indexes the user before it changes the state, so no user can
 * be online without being indexed). Redis failures are thrown as ioredis raises them; resolvers turn the connection
 * ones into `SERVICE_UNAVAILABLE` (see `createSubgraphServer`).
 */
export class PresenceStore {
  readonly keyPrefix: string;
  private readonly redis: RedisClient;
  private readonly ttlMs: number;
  private readonly retentionMs: number;
  private readonly heartbeatLimit: number;
  private readonly heartbeatWindowMs: number;
  private readonly sweepLeaseMs: number;
  private readonly publish: 'PUBLISH' | 'SPUBLISH';

  constructor(options: PresenceStoreOptions) {
    this.redis = options.redis;
    this.ttlMs = options.ttlMs;
    this.keyPrefix = options.keyPrefix ?? 'presence:';
    this.retentionMs = options.retentionMs ?? 30 * DAY_MS;
    this.heartbeatLimit = options.heartbeatLimit ?? 10;
    this.heartbeatWindowMs = options.heartbeatWindowMs ?? 60_000;
    this.sweepLeaseMs = options.sweepLeaseMs ?? 30_000;
    this.publish = publishCommand(options.redis);
  }

  /** The hash tag of a user's keys: the user's channel, so a script may publish on it (sharded pub/sub). */
  private tag(userId: string): string {
    return `{${PRESENCE_CHANNEL_PREFIX}${userId}}`;
  }

  private userKey(userId: string): string {
    return `${this.keyPrefix}user:${this.tag(userId)}`;
  }

  private get expiryKey(): string {
    return `${this.keyPrefix}expiry`;
  }

  /**
   * Records a heartbeat of `userId` with `status`: refreshes the TTL and lastSeenAt, and publishes a `PresenceEvent`
   * on `presence:<userId>` when the effective status changes. Over the rate limit nothing is written.
   */
  async heartbeat(userId: string, status: ReportedStatus): Promise<HeartbeatResult> {
    // Indexed first (by this process's clock; the sweeper goes by the hash's expiresAt, and indexes again a user it
    // found not lapsed yet), so that a user is never online without being indexed, whatever fails next.
    await this.redis.zadd(this.expiryKey, Date.now() + this.ttlMs, userId);
    const reply = list(
      await presenceScripts.heartbeat.run(
        this.redis,
        [this.userKey(userId), `${this.keyPrefix}rate:${this.tag(userId)}`],
        [
          userId,
          status,
          this.ttlMs,
          this.retentionMs,
          this.heartbeatLimit,
          this.heartbeatWindowMs,
          PRESENCE_CHANNEL_PREFIX + userId,
          this.publish,
        ],
      ),
      'heartbeat reply',
    );
    if (integer(reply[0], 'heartbeat flag') === 0) return { ok: false, retryAfterMs: integer(reply[1], 'retry after') };
    const now = integer(reply[1], 'heartbeat time');
    return { ok: true, presence: { status, lastSeenAt: new Date(now) }, changed: integer(reply[2], 'changed') === 1 };
  }

  /** Signs `userId` off now; publishes OFFLINE when watchers were last told ONLINE or AWAY. */
  async goOffline(userId: string): Promise<GoOfflineResult> {
    const reply = list(
      await presenceScripts.goOffline.run(
        this.redis,
        [this.userKey(userId)],
        [userId, this.retentionMs, PRESENCE_CHANNEL_PREFIX + userId, this.publish],
      ),
      'goOffline reply',
    );
    // Off the index (best effort: a sweeper finding the user OFFLINE drops it as well).
    await this.redis.zrem(this.expiryKey, userId).catch(() => undefined);
    const now = integer(reply[0], 'goOffline time');
    return { presence: { status: 'OFFLINE', lastSeenAt: new Date(now) }, changed: integer(reply[1], 'changed') === 1 };
  }

  /**
   * The presence of each of `userIds` (same order): one command on a single Redis; on a cluster one per hash slot
   * of the users asked for, sent together.
   */
  async read(userIds: readonly string[]): Promise<Presence[]> {
    if (userIds.length === 0) return [];
    const groups = new Map<number, number[]>();
    userIds.forEach((id, i) => {
      const slot = isCluster(this.redis) ? hashSlot(this.tag(id)) : 0;
      const group = groups.get(slot);
      if (group) group.push(i);
      else groups.set(slot, [i]);
    });
    const out: Presence[] = new Array<Presence>(userIds.length);
    await Promise.all(
      [...groups.values()].map(async (indexes) => {
        const reply = list(
          await presenceScripts.read.run(
            this.redis,
            indexes.map((i) => this.userKey(userIds[i]!)),
            [],
          ),
          'read reply',
        );
        reply.forEach((entry, j) => {
          const [status, lastSeen] = list(entry, 'read entry');
          if (!isPresenceStatus(status)) throw new Error('presence script: unknown status');
          out[indexes[j]!] = { status, lastSeenAt: typeof lastSeen === 'string' ? new Date(Number(lastSeen)) : null };
        });
      }),
    );
    return out;
  }

  /**
   * One request's loader of `User.presence`: all the users asked for in one tick of a request are read in one
   * command (one Redis round trip), however many there are.
   */
  createLoader(): DataLoader<string, Presence> {
    return new DataLoader((ids) => this.read(ids));
  }

  /**
   * Announces up to `batchSize` lapsed users as OFFLINE (safe to run in every instance at once): claims the users due
   * in the expiry index, runs each one's lapse script (on the user's own slot: it publishes OFFLINE when the TTL ran
   * out, once however many sweepers look), then releases them: dropped, or indexed again when still online.
   */
  async sweep(batchSize: number): Promise<SweepResult> {
    const claimed = list(
      await presenceScripts.claim.run(this.redis, [this.expiryKey], [batchSize, this.sweepLeaseMs]),
      'claim reply',
    ).map(String);
    const [lease, ...ids] = claimed;
    if (ids.length === 0) return { claimed: 0, published: 0 };
    const outcomes = await Promise.all(
      ids.map(async (id) => {
        const reply = list(
          await presenceScripts.lapse.run(
            this.redis,
            [this.userKey(id)],
            [id, PRESENCE_CHANNEL_PREFIX + id, this.publish],
          ),
          'lapse reply',
        );
        return { id, published: integer(reply[0], 'lapsed') === 1, next: integer(reply[1], 'next check') };
      }),
    );
    await presenceScripts.release.run(
      this.redis,
      [this.expiryKey],
      [lease!, ...outcomes.flatMap((o) => [o.id, o.next])],
    );
    return { claimed: ids.length, published: outcomes.filter((o) => o.published).length };
  }

  /** Resolves when Redis answers (readiness); rejects with the connection's own error, for the log. */
  async ping(): Promise<void> {
    await this.redis.ping();
  }
}
