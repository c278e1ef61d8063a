import { LRUCache } from 'lru-cache';

/** Options of {@link EntityCache}. */
export interface EntityCacheOptions {
  /** Entities kept at most (least recently used go first). */
  max: number;
  /** The safety net: an entry is used at most this long after it was fetched, invalidated or not. */
  ttlMs: number;
}

/** What the cache has done so far (the admin port shows it). */
export interface EntityCacheStats {
  hits: number;
  misses: number;
  /** Invalidations received (each removes one entity, whether it was cached or not). */
  invalidations: number;
  /** Whole-cache flushes (the invalidation stream reconnected). */
  flushes: number;
  /** Fetched values not stored because an invalidation of the entity arrived while they were in flight. */
  discardedFills: number;
  size: number;
  /** Whether the cache serves (its invalidation stream is up). */
  active: boolean;
}

/** A ticket taken before a fetch: a fill with it is stored only if nothing invalidated the entity since. */
export type FillTicket = number;

/**
 * Public fields of entities, by entity key (`User:123`), each value by selection (the fields a query plan fetches);
 * shared by every viewer, so only fields that read the same for everyone may be cached (see `cacheableEntities`).
 *
 * Invalidation is ordered by a ticket, not by time: every invalidation and flush advances a counter and records it
 * against the entity; a fetch takes a ticket before it leaves, and its result is stored only if the entity was not
 * invalidated after that ticket was taken. So a fetch that read the old value and returns after the invalidation
 * never puts it back, whatever order the network delivers things in; a late invalidation only removes a good entry
 * (the next read fetches again). The TTL bounds the damage of an invalidation that never arrives.
 */
export class EntityCache {
  readonly stats: Omit<EntityCacheStats, 'size' | 'active'> = {
    hits: 0,
    misses: 0,
    invalidations: 0,
    flushes: 0,
    discardedFills: 0,
  };
  private readonly entries: LRUCache<string, Map<string, unknown>>;
  /** The counter value at each entity's last invalidation (kept as long as a fetch could be in flight). */
  private readonly invalidatedAt: LRUCache<string, number>;
  private counter = 0;
  private flushedAt = 0;
  /**
   * Whether invalidations can reach the cache (its stream is subscribed). While they cannot, nothing is served or
   * stored: every fetch goes to the subgraph.
   */
  active = false;

  constructor(options: EntityCacheOptions) {
    this.entries = new LRUCache({ max: options.max, ttl: options.ttlMs, ttlAutopurge: false });
    this.invalidatedAt = new LRUCache({ max: options.max, ttl: options.ttlMs });
  }

  /** Snapshot of the counters. */
  snapshot(): EntityCacheStats {
    return { ...this.stats, size: this.entries.size, active: this.active };
  }

  /** The cached value of `entity` for `selection`, or undefined (counted as a hit or a miss). */
  get(entity: string, selection: string): unknown {
    const value = this.entries.get(entity)?.get(selection);
    if (value === undefined) this.stats.misses++;
    else this.stats.hits++;
    return value;
  }

  /** A ticket for a fetch about to start. */
  ticket(): FillTicket {
    return this.counter;
  }

  /** Stores what a fetch that took `ticket` returned, unless the entity was invalidated (or all flushed) since. */
  fill(entity: string, selection: string, value: unknown, ticket: FillTicket): void {
    if (ticket < this.flushedAt || (this.invalidatedAt.get(entity) ?? -1) >= ticket) {
      this.stats.discardedFills++;
      return;
    }
    let bySelection = this.entries.get(entity, { updateAgeOnGet: false });
    if (!bySelection) {
      bySelection = new Map();
      this.entries.set(entity, bySelection);
    }
    bySelection.set(selection, value);
  }

  /** Forgets `entity` and refuses fills of fetches that started before now. */
  invalidate(entity: string): void {
    this.stats.invalidations++;
    this.invalidatedAt.set(entity, this.counter++);
    this.entries.delete(entity);
  }

  /** Forgets everything (an invalidation may have been missed) and serves again from now on. */
  resume(): void {
    this.flush();
    this.active = true;
  }

  /** Stops serving and storing until {@link resume} (the invalidation stream is down). */
  suspend(): void {
    this.active = false;
  }

  /** Forgets everything (an invalidation may have been missed). */
  flush(): void {
    this.stats.flushes++;
    this.flushedAt = ++this.counter;
    this.entries.clear();
    this.invalidatedAt.clear();
  }
}
