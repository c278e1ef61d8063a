import DataLoader from 'dataloader';
import type Redis from 'ioredis';
import { isPresenceStatus, type Presence, type ReportedStatus } from './Presence';
import { presenceScripts } from './presenceScripts';

/** Prefix of the Redis channel a user's transitions are published on; the `@live` topic in the schema matches it. */
export const PRESENCE_CHANNEL_PREFIX = 'presence:';

/** Options of {@link PresenceStore}. */
export interface PresenceStoreOptions {
  redis: Redis;
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
  /** Lapsed users taken off the expiry set by this call. */
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
 * Presence state in Redis, and every Redis call of the presence service. Each operation is one Lua script, so that
 * reading the previous state, writing the new one and publishing the transition happen atomically (one transition,
 * one event, however many instances run). Redis failures are thrown as ioredis raises them; resolvers turn the
 * connection ones into `SERVICE_UNAVAILABLE` (see `createSubgraphServer`).
 */
export class PresenceStore {
  readonly keyPrefix: string;
  private readonly redis: Redis;
  private readonly ttlMs: number;
  private readonly retentionMs: number;
  private readonly heartbeatLimit: number;
  private readonly heartbeatWindowMs: number;

  constructor(options: PresenceStoreOptions) {
    this.redis = options.redis;
    this.ttlMs = options.ttlMs;
    this.keyPrefix = options.keyPrefix ?? 'presence:';
    this.retentionMs = options.retentionMs ?? 30 * DAY_MS;
    this.heartbeatLimit = options.heartbeatLimit ?? 10;
    this.heartbeatWindowMs = options.heartbeatWindowMs ?? 60_000;
  }

  private userKey(userId: string): string {
    return `${this.keyPrefix}user:${userId}`;
  }

  private get expiryKey(): string {
    return `${this.keyPrefix}expiry`;
  }

  /**
   * Records a heartbeat of `userId` with `status`: refreshes the TTL and lastSeenAt, and publishes a `PresenceEvent`
   * on `presence:<userId>` when the effective status changes. Over the rate limit nothing is written.
   */
  async heartbeat(userId: string, status: ReportedStatus): Promise<HeartbeatResult> {
    const reply = list(
      await presenceScripts.heartbeat.run(
        this.redis,
        [this.userKey(userId), this.expiryKey, `${this.keyPrefix}rate:${userId}`],
        [
          userId,
          status,
          this.ttlMs,
          this.retentionMs,
          this.heartbeatLimit,
          this.heartbeatWindowMs,
          PRESENCE_CHANNEL_PREFIX + userId,
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
        [this.userKey(userId), this.expiryKey],
        [userId, this.retentionMs, PRESENCE_CHANNEL_PREFIX + userId],
      ),
      'goOffline reply',
    );
    const now = integer(reply[0], 'goOffline time');
    return { presence: { status: 'OFFLINE', lastSeenAt: new Date(now) }, changed: integer(reply[1], 'changed') === 1 };
  }

  /** The presence of each of `userIds` (same order), read in one command. */
  async read(userIds: readonly string[]): Promise<Presence[]> {
    if (userIds.length === 0) return [];
    const reply = list(
      await presenceScripts.read.run(
        this.redis,
        userIds.map((id) => this.userKey(id)),
        [],
      ),
      'read reply',
    );
    return reply.map((entry) => {
      const [status, lastSeen] = list(entry, 'read entry');
      if (!isPresenceStatus(status)) throw new Error('presence script: unknown status');
      return { status, lastSeenAt: typeof lastSeen === 'string' ? new Date(Number(lastSeen)) : null };
    });
  }

  /**
   * One request's loader of `User.presence`: all the users asked for in one tick of a request are read in one
   * command (one Redis round trip), however many there are.
   */
  createLoader(): DataLoader<string, Presence> {
    return new DataLoader((ids) => this.read(ids));
  }

  /** Announces up to `batchSize` lapsed users as OFFLINE (safe to run in every instance at once). */
  async sweep(batchSize: number): Promise<SweepResult> {
    const reply = list(
      await presenceScripts.sweep.run(
        this.redis,
        [this.expiryKey],
        [batchSize, this.userKey(''), PRESENCE_CHANNEL_PREFIX],
      ),
      'sweep reply',
    );
    return { claimed: integer(reply[0], 'claimed'), published: integer(reply[1], 'published') };
  }

  /** Resolves when Redis answers (readiness); rejects with the connection's own error, for the log. */
  async ping(): Promise<void> {
    await this.redis.ping();
  }
}
