import { hostname } from 'node:os';
import type { Disconnectable, ShardedDatabase } from '../ShardedDatabase';
import { Topology, type ShardedService } from './Topology';
import type { TopologyStore } from './TopologyStore';

/** What moves announce to every process (over Redis pub/sub; the control database stays the truth). */
export type TopologyAnnouncement =
  | { type: 'version'; version: number }
  | { type: 'fence'; service: ShardedService; database: string; id: string }
  | { type: 'unfence'; service: ShardedService; database: string };

/** The Redis channel of a deployment's topology announcements. */
export const topologyChannel = (prefix: string): string => `${prefix}:topology`;

/**
 * Where processes confirm a fence: `{ id, process }` once they hold new requests to the shard and none is under way
 * on its old home.
 */
export const fenceAckChannel = (prefix: string): string => `${prefix}:topology:fence-acks`;

/** A process's confirmation of a fence. */
export interface FenceAck {
  id: string;
  process: string;
}

/**
 * Subscribing to announcements: what `ChannelSubscriber` of `@chatgraph/pubsub` does on a single Redis and on a
 * Redis Cluster (sharded pub/sub) alike.
 */
export interface AnnouncementSubscriber {
  subscribe(channel: string): Promise<unknown>;
  unsubscribe(channel: string): Promise<unknown>;
  /** Adds a listener of every subscribed channel; returns its removal. */
  onMessage(listener: (channel: string, message: string) => void): () => void;
}

/** The part of an ioredis connection a mover announces with. */
export interface AnnouncementPublisher {
  publish(channel: string, message: string): Promise<unknown>;
}

/** Announces a topology change to every process following it; resolves to how many listeners it reached. */
export async function announce(
  publisher: AnnouncementPublisher,
  prefix: string,
  announcement: TopologyAnnouncement,
): Promise<number> {
  const receivers = await publisher.publish(topologyChannel(prefix), JSON.stringify(announcement));
  return typeof receivers === 'number' ? receivers : 0;
}

/** Logging the follower does. */
export interface FollowerLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** Options of {@link TopologyFollower}. */
export interface TopologyFollowerOptions {
  store: TopologyStore;
  /** The topology this process was configured with: stored as version 1 when the control database has none. */
  initial: Topology;
  /** This process's sharded databases, placed as the followed topology says. */
  databases: ReadonlyArray<{ service: ShardedService; db: ShardedDatabase<Disconnectable> }>;
  /** A pub/sub connection for announcements (none: the poll alone finds new versions). */
  subscriber?: AnnouncementSubscriber;
  /** A connection to confirm fences on (none: moves rely on their drain time and the read-only backstop). */
  publisher?: AnnouncementPublisher;
  /** This process's name in fence confirmations. @default `<hostname>:<pid>` */
  processName?: string;
  prefix: string;
  /** How often to read the control database for a version that was not announced. */
  pollMs: number;
  /** A fence whose move never finished is lifted after this long (the old home stays read-only). @default 60000 */
  maxFenceMs?: number;
  logger: FollowerLogger;
}

/**
 * Keeps a process's databases placed as the newest topology version says, without a restart: it reads the control
 * database at start, again on every announcement (`<prefix>:topology` on Redis) and every `pollMs` in case an
 * announcement was lost, and places each physical shard whose server changed ({@link ShardedDatabase.place}). A
 * move's fence announcement holds new requests to the moving shard until the version that places it elsewhere.
 * Versions that change ranges or databases (not placements) need a restart: logged, not applied.
 */
export class TopologyFollower {
  private topology: Topology;
  private timer: ReturnType<typeof setInterval> | undefined;
  private refreshing: Promise<void> | null = null;
  private stopListening: () => void = () => undefined;
  private again = false;
  private readonly fenceTimers = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly channel: string;
  private readonly onMessage = (channel: string, message: string) => {
    if (channel !== this.channel) return;
    let announcement: TopologyAnnouncement;
    try {
      announcement = JSON.parse(message) as TopologyAnnouncement;
    } catch {
      return;
    }
    if (announcement.type === 'version') void this.refresh();
    else if (announcement.type === 'fence' || announcement.type === 'unfence') this.onFence(announcement);
  };

  constructor(private readonly options: TopologyFollowerOptions) {
    this.topology = options.initial;
    this.channel = topologyChannel(options.prefix);
  }

  /** The version this process routes by. */
  get current(): Topology {
    return this.topology;
  }

  /** Reads the stored topology (seeding it when none is stored), applies it, then follows announcements. */
  async start(): Promise<void> {
    const stored = await this.options.store.current(this.options.initial).catch((err: Error) => {
      this.options.logger.warn(
        { err: err.message },
        'control database unreachable: routing by the configured topology',
      );
      return this.options.initial;
    });
    this.apply(stored, true);
    if (this.options.subscriber) {
      this.stopListening = this.options.subscriber.onMessage(this.onMessage);
      // Not awaited: with Redis down the process still starts (the subscription is made when Redis answers; until
      // then the poll finds new versions).
      void this.options.subscriber.subscribe(this.channel).catch((err: Error) => {
        this.options.logger.warn({ err: err.message }, 'cannot subscribe to topology announcements; polling only');
      });
    }
    this.timer = setInterval(() => {
      void this.refresh();
      // Subscribing again is harmless and heals a subscription a lost connection attempt swallowed.
      void this.options.subscriber?.subscribe(this.channel).catch(() => undefined);
    }, this.options.pollMs);
    this.timer.unref();
  }

  /** Reads the newest version and applies it (coalesced: one read at a time, one more if asked meanwhile). */
  refresh(): Promise<void> {
    if (this.refreshing) {
      this.again = true;
      return this.refreshing;
    }
    this.refreshing = (async () => {
      try {
        do {
          this.again = false;
          const latest = await this.options.store.latest();
          if (latest) this.apply(latest, false);
        } while (this.again);
      } catch (err) {
        this.options.logger.warn({ err: (err as Error).message }, 'cannot read the topology; keeping the current one');
      } finally {
        this.refreshing = null;
      }
    })();
    return this.refreshing;
  }

  /** Stops following (the databases stay where they are). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    for (const timer of this.fenceTimers.values()) clearTimeout(timer);
    this.fenceTimers.clear();
    if (this.options.subscriber) {
      this.stopListening();
      await this.options.subscriber.unsubscribe(this.channel).catch(() => undefined);
    }
    await this.refreshing;
  }

  private apply(next: Topology, initial: boolean): void {
    if (!initial && next.version <= this.topology.version) return;
    if (!this.topology.liveCompatibleWith(next)) {
      this.options.logger.error(
        { from: this.topology.version, to: next.version },
        'topology version changes ranges or databases: restart the process to follow it',
      );
      return;
    }
    for (const { service, db } of this.options.databases)
      for (const shard of db.map.shards) {
        const placement = next.placementOf(service, shard.index);
        if (db.urlAt(shard.index) !== placement.url)
          this.options.logger.info(
            { service, database: shard.database, server: placement.server, version: next.version },
            'shard placed on another server',
          );
        db.place(shard.index, placement.url, placement.replicas);
        this.clearFenceTimer(`${service}/${shard.database}`);
      }
    for (const { db } of this.options.databases) db.topologyVersion = next.version;
    this.topology = next;
  }

  private onFence(announcement: Extract<TopologyAnnouncement, { service: ShardedService }>): void {
    const key = `${announcement.service}/${announcement.database}`;
    // Drained once no request of this process is under way on the shard's old home.
    const holding: Array<() => boolean> = [];
    for (const { service, db } of this.options.databases) {
      if (service !== announcement.service) continue;
      const shard = db.map.shards.find((s) => s.database === announcement.database);
      if (!shard) continue;
      if (announcement.type === 'unfence') {
        db.unfence(shard.index);
        this.clearFenceTimer(key);
        continue;
      }
      db.fence(shard.index);
      holding.push(() => db.inFlight(shard.index) === 0);
      this.options.logger.info({ service, database: shard.database }, 'shard fenced for a move');
      this.clearFenceTimer(key);
      const timer = setTimeout(() => {
        this.fenceTimers.delete(key);
        this.options.logger.warn({ service, database: shard.database }, 'move fence outlived its bound; lifted');
        db.unfence(shard.index);
      }, this.options.maxFenceMs ?? 60_000);
      timer.unref();
      this.fenceTimers.set(key, timer);
    }
    // Every process that heard the fence confirms it (one without that shard at once), so the mover can count.
    if (announcement.type === 'fence')
      void this.confirmFence(announcement.id, () => holding.every((drained) => drained()));
  }

  /** Tells the mover this process holds new requests and has none under way on the old home (bounded wait). */
  private async confirmFence(id: string, drained: () => boolean): Promise<void> {
    const { publisher, prefix } = this.options;
    if (!publisher) return;
    const until = Date.now() + (this.options.maxFenceMs ?? 60_000);
    while (!drained() && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 5));
    const ack: FenceAck = { id, process: this.options.processName ?? `${hostname()}:${process.pid}` };
    await publisher.publish(fenceAckChannel(prefix), JSON.stringify(ack)).catch((err: Error) => {
      this.options.logger.warn({ err: err.message }, 'cannot confirm a fence');
    });
  }

  private clearFenceTimer(key: string): void {
    const timer = this.fenceTimers.get(key);
    if (timer) clearTimeout(timer);
    this.fenceTimers.delete(key);
  }
}
