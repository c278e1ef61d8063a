import type { Logger } from '@chatgraph/logging';
import { hashSlot, isCluster, type RedisClient } from './createRedis';

/** Receives the messages of the channels a {@link ChannelSubscriber} is subscribed to. */
export type ChannelListener = (channel: string, message: string) => void;

/** Pause between two tries to confirm the channels after a cluster failover. */
const CONFIRM_RETRY_MS = 500;

/**
 * Subscribing to Redis channels on the subscriber connection of a process, the same way on a single server
 * (`SUBSCRIBE`, `message`) and on a cluster (sharded pub/sub: `SSUBSCRIBE`, `smessage`, one subscription per slot,
 * sent to the master of that slot). Channel names are used as they are: no patterns (sharded pub/sub has none).
 *
 * After a lost link ioredis subscribes again by itself: on a single server when the connection is back; on a
 * cluster when the slot map shows who serves the slot now (a replica promoted after its master failed). Then,
 * once every channel is confirmed again, the {@link onResubscribed} listeners run, so that a subscriber can repair
 * what was published while the link was down (pub/sub keeps nothing for an absent subscriber).
 */
export class ChannelSubscriber {
  /** Sharded pub/sub (a cluster). */
  readonly sharded: boolean;
  private readonly channels = new Set<string>();
  private readonly listeners = new Set<ChannelListener>();
  private readonly resubscribedListeners = new Set<() => void>();
  private readonly lostListeners = new Set<() => void>();
  private lost = false;
  /** Cluster: the node serving each slot with channels when they were last confirmed there. */
  private readonly owners = new Map<number, string>();
  /** Cluster: nodes whose subscriber connection ended since (their channels must be confirmed again). */
  private readonly endedNodes = new Set<string>();
  /** Cluster: the whole client reconnected (every channel must be confirmed again). */
  private reconnected = false;
  private confirming = false;
  private closed = false;
  private retry: NodeJS.Timeout | undefined;

  constructor(
    readonly client: RedisClient,
    private readonly logger: Logger,
  ) {
    this.sharded = isCluster(client);
    const dispatch = (channel: string, message: string) => {
      for (const listener of this.listeners) listener(channel, message);
    };
    if (isCluster(client)) {
      client.on('smessage', dispatch);
      // A subscriber connection of one master ended (the master failed, or the slot map changed): the channels of
      // its slots are subscribed again on whoever serves them once the slot map says so ('subscribersReady').
      client.on('-subscriber', () => this.markLost());
      // Emitted with the node's key when the sharded subscriber connection of that node ended.
      client.on('-node', (_redis: unknown, nodeKey?: string) => {
        if (typeof nodeKey !== 'string') return;
        this.endedNodes.add(nodeKey);
        this.markLost();
      });
      client.on('close', () => {
        this.reconnected = true;
        this.markLost();
      });
      client.on('subscribersReady', () => {
        if (this.lost) void this.confirm();
      });
    } else {
      client.on('message', dispatch);
      client.on('close', () => this.markLost());
      client.on('ready', () => {
        if (!this.lost) return;
        // ioredis re-sends SUBSCRIBE for every channel when the connection is ready; a PING queued after them is
        // answered only once Redis processed them all, so from then on nothing published can be missed.
        client.ping().then(
          () => this.resubscribed(),
          (err: Error) => logger.warn({ err: err.message }, 'ping after redis reconnect failed'),
        );
      });
    }
  }

  /** True while the subscriber connection is up (a cluster: while the client is connected to the cluster). */
  get ready(): boolean {
    return this.client.status === 'ready';
  }

  /** Number of channels subscribed. */
  get size(): number {
    return this.channels.size;
  }

  /** Calls `listener` for every message of the subscribed channels. Returns the function that removes it. */
  onMessage(listener: ChannelListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Calls `listener` when the link to Redis (or to one master of a cluster) is lost. Returns an unsubscribe. */
  onLost(listener: () => void): () => void {
    this.lostListeners.add(listener);
    return () => this.lostListeners.delete(listener);
  }

  /** Calls `listener` after each reconnect, once the channels are subscribed again. Returns an unsubscribe. */
  onResubscribed(listener: () => void): () => void {
    this.resubscribedListeners.add(listener);
    return () => this.resubscribedListeners.delete(listener);
  }

  /** Subscribes `channels`; resolves once Redis confirmed them (on a cluster, one command per slot). */
  async subscribe(...channels: string[]): Promise<void> {
    for (const channel of channels) this.channels.add(channel);
    const client = this.client;
    if (!isCluster(client)) {
      await client.subscribe(...channels);
      return;
    }
    await Promise.all([...bySlot(channels)].map(([slot, group]) => this.ssubscribe(slot, group)));
  }

  /** Unsubscribes `channels` (Redis runs commands in order: a later subscribe of the same channel comes after). */
  async unsubscribe(...channels: string[]): Promise<void> {
    for (const channel of channels) this.channels.delete(channel);
    const client = this.client;
    if (!isCluster(client)) {
      await client.unsubscribe(...channels);
      return;
    }
    await Promise.all([...bySlot(channels).values()].map((group) => client.sunsubscribe(...group)));
  }

  /** Stops the retries of a confirmation (the connection itself is closed by its owner). */
  close(): void {
    this.closed = true;
    clearTimeout(this.retry);
  }

  private markLost(): void {
    if (this.closed) return;
    if (!this.lost) {
      this.logger.warn({ channels: this.channels.size }, 'redis subscriber link lost; live events paused');
      for (const listener of this.lostListeners) listener();
    }
    this.lost = true;
  }

  /** Cluster: subscribes the channels of one slot and remembers which node confirmed them. */
  private async ssubscribe(slot: number, channels: string[]): Promise<void> {
    const client = this.client;
    if (!isCluster(client)) return;
    await client.ssubscribe(...channels);
    const owner = client.slots[slot]?.[0];
    if (owner) this.owners.set(slot, owner);
  }

  /**
   * A cluster's subscribers are connected again: subscribe once more the channels of every slot that another node
   * serves now, or whose node's subscriber connection ended (a channel already subscribed on that connection stays as
   * it is), and wait for the confirmations, so that nothing published from now on is missed. Tried again until it
   * works (a failover in progress may refuse it first).
   */
  private async confirm(): Promise<void> {
    const client = this.client;
    if (this.confirming || this.closed || !isCluster(client)) return;
    this.confirming = true;
    clearTimeout(this.retry);
    try {
      const ended = [...this.endedNodes];
      const all = this.reconnected;
      this.endedNodes.clear();
      this.reconnected = false;
      const stale = [...bySlot([...this.channels])].filter(([slot]) => {
        const confirmedBy = this.owners.get(slot);
        return all || !confirmedBy || confirmedBy !== client.slots[slot]?.[0] || ended.includes(confirmedBy);
      });
      try {
        await Promise.all(stale.map(([slot, group]) => this.ssubscribe(slot, group)));
      } catch (err) {
        // not confirmed: the next try looks at these again
        for (const node of ended) this.endedNodes.add(node);
        if (all) this.reconnected = true;
        throw err;
      }
      this.resubscribed();
    } catch (err) {
      this.logger.debug({ err: (err as Error).message }, 'channels not confirmed yet after a failover; retrying');
      this.retry = setTimeout(() => void this.confirm(), CONFIRM_RETRY_MS);
      this.retry.unref();
    } finally {
      this.confirming = false;
    }
  }

  private resubscribed(): void {
    if (this.closed) return;
    this.lost = false;
    this.logger.info({ channels: this.channels.size }, 'redis subscriber reconnected; repairing live subscriptions');
    for (const listener of this.resubscribedListeners) {
      try {
        listener();
      } catch (err) {
        this.logger.error({ err }, 'resubscribed listener failed');
      }
    }
  }
}

/** `channels` grouped by hash slot (a sharded subscribe names the channels of one slot). */
function bySlot(channels: readonly string[]): Map<number, string[]> {
  const groups = new Map<number, string[]>();
  for (const channel of channels) {
    const slot = hashSlot(channel);
    const group = groups.get(slot);
    if (group) group.push(channel);
    else groups.set(slot, [channel]);
  }
  return groups;
}
