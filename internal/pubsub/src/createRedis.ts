import calculateSlot from 'cluster-key-slot';
import Redis, { Cluster, type ClusterOptions, type RedisOptions } from 'ioredis';

/** A connection to the deployment's Redis: one server (`Redis`) or a Redis Cluster (`Cluster`). */
export type RedisClient = Redis | Cluster;

/**
 * Where the deployment's Redis is: the single server at `url`, or, when `clusterNodes` is set (config
 * `REDIS_CLUSTER_NODES`, `host:port` seed nodes separated by commas), a Redis Cluster.
 */
export interface RedisLocation {
  url: string;
  clusterNodes?: string;
}

/** The {@link RedisLocation} of a configuration. */
export function redisLocation(config: { REDIS_URL: string; REDIS_CLUSTER_NODES?: string }): RedisLocation {
  return { url: config.REDIS_URL, clusterNodes: config.REDIS_CLUSTER_NODES };
}

/** True when `location` names a Redis Cluster. */
export function isClusterLocation(location: string | RedisLocation): boolean {
  return typeof location !== 'string' && clusterSeeds(location) !== undefined;
}

/** The seed nodes of a cluster location, or undefined for a single server. */
export function clusterSeeds(location: RedisLocation): Array<{ host: string; port: number }> | undefined {
  const nodes = (location.clusterNodes ?? '')
    .split(',')
    .map((node) => node.trim())
    .filter((node) => node !== '');
  if (nodes.length === 0) return undefined;
  return nodes.map((node) => {
    const at = node.lastIndexOf(':');
    return { host: node.slice(0, at), port: Number(node.slice(at + 1)) };
  });
}

/** True when `client` talks to a Redis Cluster. */
export function isCluster(client: RedisClient): client is Cluster {
  return client instanceof Cluster;
}

/** Options of {@link createRedis}. */
export interface CreateRedisOptions {
  /** Connection name shown by `CLIENT LIST` and in logs. */
  name: string;
  /**
   * Queue commands while disconnected (and send them once connected) instead of failing them at once. Connections a
   * request waits on leave it off. @default false
   */
  offlineQueue?: boolean;
  /** Time limit of one command (none by default). */
  commandTimeoutMs?: number;
  /** Reconnections one command may wait for before it fails (`null`: any number). @default 1 */
  maxRetriesPerRequest?: number | null;
  /**
   * A connection for pub/sub (subscribing). On a cluster it uses sharded pub/sub (`SSUBSCRIBE`): one subscriber
   * connection per master, each for the channels of that master's slots. @default false
   */
  subscriber?: boolean;
  /**
   * Send the commands issued in one turn of the event loop in one write (single server only; never on a subscriber).
   * An auto-pipelined command waits for the end of the turn, while an explicit pipeline, a `MULTI` or `QUIT` is
   * written at once: a connection that mixes them and needs the order issued turns this off, or waits for what it
   * issued (as the event bus's `close` does before `QUIT`). While a batch waits for Redis, the next one waits behind
   * it, so ioredis's `commandTimeout` starts when a command's batch is written (a time limit the caller keeps itself,
   * like the event bus's per publish, includes that wait).
   * @default true
   */
  autoPipelining?: boolean;
}

/** Reconnect forever, with backoff capped at 2 s. */
const backoff = (attempt: number) => Math.min(50 * 2 ** Math.min(attempt, 6), 2000);

/**
 * How often a cluster client asks for the slot map although nothing failed: it then also notices a failover it was
 * not told about (a sharded subscriber of a promoted replica), within this.
 */
const SLOTS_REFRESH_MS = 2000;

/**
 * The one place a process makes a Redis connection: a single `Redis` for a `REDIS_URL` (or a location without
 * cluster nodes), an ioredis `Cluster` when `REDIS_CLUSTER_NODES` is set. Both reconnect forever with capped backoff;
 * a cluster client also follows failovers (it asks for the slot map again when a node fails or answers `MOVED`, and
 * every {@link SLOTS_REFRESH_MS}). Every module that uses Redis takes its connection from here, so none decides
 * between single node and cluster on its own.
 */
export function createRedis(url: string, options: CreateRedisOptions): Redis;
export function createRedis(location: string | RedisLocation, options: CreateRedisOptions): RedisClient;
export function createRedis(location: string | RedisLocation, options: CreateRedisOptions): RedisClient {
  const common: RedisOptions = {
    connectionName: options.name,
    enableOfflineQueue: options.offlineQueue ?? false,
    maxRetriesPerRequest: options.maxRetriesPerRequest === undefined ? 1 : options.maxRetriesPerRequest,
    ...(options.commandTimeoutMs === undefined ? {} : { commandTimeout: options.commandTimeoutMs }),
  };
  const url = typeof location === 'string' ? location : location.url;
  const seeds = typeof location === 'string' ? undefined : clusterSeeds(location);
  // On a single server, commands issued in one turn of the event loop (concurrent requests' rate-limit scripts) go
  // out in one write (ioredis's auto-pipelining; see `autoPipelining`; the gateway and the chats service turn it off).
  // Not on a subscriber connection, and not on a cluster: there a pipeline is split by node and redirected as a whole
  // during a failover, which the failover tests prove for each command on its own, not for batches.
  if (!seeds) {
    const enableAutoPipelining = !options.subscriber && (options.autoPipelining ?? true);
    return new Redis(url, { ...common, enableAutoPipelining, retryStrategy: backoff });
  }
  const clusterOptions: ClusterOptions = {
    redisOptions: common,
    enableOfflineQueue: common.enableOfflineQueue,
    clusterRetryStrategy: backoff,
    // A node that went away is dialled again (a restarted one keeps its slots); a dead master is replaced by its
    // promoted replica through the slot map.
    clusterNodeRetryStrategy: backoff,
    slotsRefreshInterval: SLOTS_REFRESH_MS,
    retryDelayOnFailover: 200,
    retryDelayOnClusterDown: 200,
    retryDelayOnMoved: 50,
    shardedSubscribers: options.subscriber ?? false,
  };
  return new Cluster(seeds, clusterOptions);
}

/**
 * Publishes `message` on `channel` with the client's kind of pub/sub: `PUBLISH` on a single server, `SPUBLISH`
 * (sharded pub/sub, delivered by the master of the channel's slot only) on a cluster.
 */
export async function publishOn(client: RedisClient, channel: string, message: string): Promise<number> {
  return isCluster(client) ? Number(await client.spublish(channel, message)) : client.publish(channel, message);
}

/** The publish command scripts and transactions use on `client` (see {@link publishOn}). */
export function publishCommand(client: RedisClient): 'PUBLISH' | 'SPUBLISH' {
  return isCluster(client) ? 'SPUBLISH' : 'PUBLISH';
}

/** The Redis Cluster hash slot of a key or shard channel (0-16383; a `{hash tag}` counts alone when present). */
export function hashSlot(key: string): number {
  return calculateSlot(key);
}
