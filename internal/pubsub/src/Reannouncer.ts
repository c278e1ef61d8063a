import type { Logger } from '@chatgraph/logging';
import type { Publication } from './Publication';

/** Announcements published together in a retry round (one pipeline on the publisher's connection). */
const RETRY_BATCH = 100;

/** One announcement of committed state: the newest per {@link key} is the one that counts. */
export interface Announcement {
  /**
   * What it is about (a chat's event stream, one user's view of one chat, one profile): a newer announcement with the
   * same key makes an older one useless.
   */
  key: string;
  /** The channel it goes on. */
  topic: string;
  /** Its place among the announcements of its key (a chat's `seq`): higher is newer. */
  order: number;
  payload: unknown;
}

/** Publishes on Redis; resolves false when Redis did not take it (`RedisEventBus.publish` never rejects). */
export type AnnouncePublish = (topic: string, payload: unknown) => Promise<boolean>;

/**
 * Publishes several messages together, in order (`RedisEventBus.publishMany`); resolves, for each, whether Redis took
 * it; never rejects.
 */
export type AnnouncePublishMany = (messages: readonly Publication[]) => Promise<boolean[]>;

/** Options of {@link Reannouncer}. */
export interface ReannouncerOptions {
  /**
   * How {@link Reannouncer.announceAll} and the retry rounds publish a batch. @default each message through the
   * single publish, all at once
   */
  publishMany?: AnnouncePublishMany;
  /** Pause between two rounds of retries while some are pending. @default 500 */
  retryMs?: number;
  /**
   * Keys kept at most; past it the oldest pending is dropped (counted and logged): then only the next change of that
   * key, or the subscribers' own repair after a reconnect, brings it. @default 100000
   */
  maxPending?: number;
}

/** What a {@link Reannouncer} has done (services expose it as metrics). */
export interface ReannouncerStats {
  /** Announcements published on a retry (after Redis refused the first try). */
  reannounced: number;
  /** Pending announcements dropped because {@link ReannouncerOptions.maxPending} was reached. */
  dropped: number;
}

/**
 * Announcements of committed changes that Redis did not take, published again until it does.
 *
 * Pub/sub is at-most-once, and the log is the truth: a gateway that lost its own link to Redis repairs from the log
 * once it is subscribed again. What that repair cannot see is a change committed *after* it, whose announcement was
 * refused on the publisher's side (the publisher's breaker still open, or its connection not yet back after a
 * failover, while the subscribers' is): nothing would tell the subscribers about that change until the next change of
 * the same chat, which in a quiet chat may be never. So a refused announcement is kept, the newest per key only (a
 * subscriber that receives a chat's newest event repairs any earlier one it missed from the log by `seq`), and
 * published again every {@link ReannouncerOptions.retryMs} until Redis takes it or a newer one of the same key got
 * through. Subscribers drop what they already have (`seq` at or below the last delivered), so a late or repeated
 * announcement is harmless.
 *
 * Kept in memory: a process that dies with some pending leaves those changes to the next change of their chat (and
 * to the durable notification pipeline, which reads the log, not pub/sub).
 */
export class Reannouncer {
  readonly stats: ReannouncerStats = { reannounced: 0, dropped: 0 };
  /** Newest refused announcement per key, oldest first (a Map keeps insertion order). */
  private readonly pendingByKey = new Map<string, Announcement>();
  private readonly retryMs: number;
  private readonly maxPending: number;
  private readonly publishMany: AnnouncePublishMany;
  private timer: NodeJS.Timeout | undefined;
  private retrying: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly publish: AnnouncePublish,
    private readonly logger: Logger,
    options: ReannouncerOptions = {},
  ) {
    this.retryMs = options.retryMs ?? 500;
    this.maxPending = options.maxPending ?? 100_000;
    this.publishMany =
      options.publishMany ?? ((messages) => Promise.all(messages.map((m) => this.publish(m.topic, m.payload))));
  }

  /** Announcements waiting for Redis. */
  get pending(): number {
    return this.pendingByKey.size;
  }

  /**
   * Publishes `announcement`; when Redis does not take it, keeps it for the retries (unless a newer one of its key is
   * already kept). Resolves whether this first try got through; never rejects.
   */
  async announce(announcement: Announcement): Promise<boolean> {
    const ok = await this.publish(announcement.topic, announcement.payload);
    if (ok) this.settled(announcement);
    else this.keep(announcement);
    return ok;
  }

  /**
   * {@link announce} for several announcements published together (one batch, in order: see
   * {@link ReannouncerOptions.publishMany}). Resolves, for each, whether its first try got through; never rejects.
   */
  async announceAll(announcements: readonly Announcement[]): Promise<boolean[]> {
    const results = await this.publishMany(announcements);
    announcements.forEach((announcement, i) => {
      if (results[i]) this.settled(announcement);
      else this.keep(announcement);
    });
    return results;
  }

  /** Stops retrying after one last round (a process shutting down): what is still refused then is dropped. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.retrying;
    if (this.pendingByKey.size > 0) await this.retryRound();
    if (this.pendingByKey.size > 0) {
      this.logger.warn({ pending: this.pendingByKey.size }, 'announcements still refused by redis at shutdown');
      this.pendingByKey.clear();
    }
  }

  /** A newer (or the same) announcement of the key got through: an older pending one is of no use any more. */
  private settled(announcement: Announcement): void {
    const kept = this.pendingByKey.get(announcement.key);
    if (kept && kept.order <= announcement.order) this.pendingByKey.delete(announcement.key);
  }

  private keep(announcement: Announcement): void {
    if (this.closed) return;
    const kept = this.pendingByKey.get(announcement.key);
    if (kept && kept.order > announcement.order) return;
    if (this.pendingByKey.size === 0) {
      this.logger.warn({ topic: announcement.topic }, 'redis refused an announcement; retrying until it takes it');
    }
    // Re-inserted at the end: the retries go oldest first, and the cap drops the oldest.
    this.pendingByKey.delete(announcement.key);
    this.pendingByKey.set(announcement.key, announcement);
    if (this.pendingByKey.size > this.maxPending) {
      const oldest = this.pendingByKey.keys().next().value as string;
      this.pendingByKey.delete(oldest);
      if (this.stats.dropped++ % 1000 === 0) {
        this.logger.warn({ dropped: this.stats.dropped, maxPending: this.maxPending }, 'refused announcements dropped');
      }
    }
    this.schedule();
  }

  private schedule(): void {
    if (this.timer || this.retrying || this.closed || this.pendingByKey.size === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.retrying = this.retryRound().finally(() => {
        this.retrying = undefined;
        this.schedule();
      });
    }, this.retryMs);
    this.timer.unref();
  }

  /**
   * Publishes the pending announcements again, oldest first, {@link RETRY_BATCH} at a time (one pipeline), and stops
   * after a batch Redis refused part of (the rest wait for the next round rather than each failing on its own).
   */
  private async retryRound(): Promise<void> {
    const all = [...this.pendingByKey.values()];
    for (let from = 0; from < all.length; from += RETRY_BATCH) {
      // A newer one of a key may have been kept (or got through) while this round was publishing.
      const batch = all.slice(from, from + RETRY_BATCH).filter((a) => this.pendingByKey.get(a.key) === a);
      const results = await this.publishMany(batch);
      batch.forEach((announcement, i) => {
        if (!results[i]) return;
        this.stats.reannounced++;
        if (this.pendingByKey.get(announcement.key) === announcement) this.pendingByKey.delete(announcement.key);
      });
      if (results.includes(false)) return;
    }
    if (this.pendingByKey.size === 0) {
      this.logger.info({ reannounced: this.stats.reannounced }, 'refused announcements published again');
    }
  }
}
