import type { Logger } from '@chatgraph/logging';
import { ChannelSubscriber, createRedis, publishOn, redisLocation } from '@chatgraph/pubsub';
import type { Disconnectable, ShardedDatabase } from '../ShardedDatabase';
import { Topology, type ShardedService, type TopologyConfig } from './Topology';
import { TopologyFollower, topologyChannel } from './TopologyFollower';
import { TopologyStore } from './TopologyStore';

/** What {@link followTopology} reads. */
export interface FollowTopologyConfig extends TopologyConfig {
  REDIS_URL: string;
  REDIS_CLUSTER_NODES?: string | undefined;
  TOPOLOGY_POLL_MS: number;
}

/** A running follower and the Redis connections it uses; `stop()` ends them. */
export interface FollowingTopology {
  follower: TopologyFollower;
  stop(): Promise<void>;
}

/**
 * Places a process's sharded databases as the stored topology says and keeps them placed: reads the control
 * database (seeding it from the configuration when it is empty), then follows announcements on Redis connections of
 * its own (a single Redis or a Redis Cluster, where announcements use sharded pub/sub) and polls every
 * `TOPOLOGY_POLL_MS`. Call before the process takes requests.
 */
export async function followTopology(
  config: FollowTopologyConfig,
  databases: ReadonlyArray<{ service: ShardedService; db: ShardedDatabase<Disconnectable> }>,
  logger: Logger,
): Promise<FollowingTopology> {
  const location = redisLocation(config);
  // Announcements are hints (the poll finds every version): a down Redis is logged by the services' own connections.
  const subscriberClient = createRedis(location, {
    name: 'topology',
    subscriber: true,
    offlineQueue: true,
    maxRetriesPerRequest: null,
  });
  subscriberClient.on('error', () => undefined);
  const subscriber = new ChannelSubscriber(subscriberClient, logger);
  // Subscribed again on every (re)connection: a SUBSCRIBE still queued when a first connection attempt failed is not
  // one ioredis re-sends by itself, and a process that missed the channel would miss every fence.
  const channel = topologyChannel(config.DB_NAME_PREFIX);
  subscriberClient.on('ready', () => {
    subscriber.subscribe(channel).catch(() => undefined);
  });
  // Fence confirmations go out on a connection of their own (a subscribing connection cannot publish).
  const publisherClient = createRedis(location, { name: 'topology-acks' });
  publisherClient.on('error', () => undefined);
  const follower = new TopologyFollower({
    store: new TopologyStore(config.DATABASE_URL, config.DB_NAME_PREFIX),
    initial: Topology.fromConfig(config),
    databases,
    subscriber,
    publisher: { publish: (channel, message) => publishOn(publisherClient, channel, message) },
    prefix: config.DB_NAME_PREFIX,
    pollMs: config.TOPOLOGY_POLL_MS,
    logger,
  });
  await follower.start();
  return {
    follower,
    async stop() {
      await follower.stop();
      subscriber.close();
      await subscriberClient.quit().catch(() => subscriberClient.disconnect());
      await publisherClient.quit().catch(() => publisherClient.disconnect());
    },
  };
}
