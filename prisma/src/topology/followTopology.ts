import Redis from 'ioredis';
import type { Disconnectable, ShardedDatabase } from '../ShardedDatabase';
import { Topology, type ShardedService, type TopologyConfig } from './Topology';
import { TopologyFollower, type FollowerLogger } from './TopologyFollower';
import { TopologyStore } from './TopologyStore';

/** What {@link followTopology} reads. */
export interface FollowTopologyConfig extends TopologyConfig {
  REDIS_URL: string;
  TOPOLOGY_POLL_MS: number;
}

/** A running follower and the Redis connection it listens on; `stop()` ends both. */
export interface FollowingTopology {
  follower: TopologyFollower;
  stop(): Promise<void>;
}

/**
 * Places a process's sharded databases as the stored topology says and keeps them placed: reads the control
 * database (seeding it from the configuration when it is empty), then follows announcements on a Redis connection of
 * its own and polls every `TOPOLOGY_POLL_MS`. Call before the process takes requests.
 */
export async function followTopology(
  config: FollowTopologyConfig,
  databases: ReadonlyArray<{ service: ShardedService; db: ShardedDatabase<Disconnectable> }>,
  logger: FollowerLogger,
): Promise<FollowingTopology> {
  const subscriber = new Redis(config.REDIS_URL, {
    connectionName: 'topology',
    maxRetriesPerRequest: null,
    retryStrategy: (attempt) => Math.min(50 * 2 ** Math.min(attempt, 6), 2000),
  });
  // Announcements are hints (the poll finds every version): a down Redis is logged by the services' own connections.
  subscriber.on('error', () => undefined);
  // Fence confirmations go out on a connection of their own (a subscribing connection cannot publish).
  const publisher = new Redis(config.REDIS_URL, { connectionName: 'topology-acks', maxRetriesPerRequest: 1 });
  publisher.on('error', () => undefined);
  const follower = new TopologyFollower({
    store: new TopologyStore(config.DATABASE_URL, config.DB_NAME_PREFIX),
    initial: Topology.fromConfig(config),
    databases,
    subscriber,
    publisher,
    prefix: config.DB_NAME_PREFIX,
    pollMs: config.TOPOLOGY_POLL_MS,
    logger,
  });
  await follower.start();
  return {
    follower,
    async stop() {
      await follower.stop();
      await subscriber.quit().catch(() => subscriber.disconnect());
      await publisher.quit().catch(() => publisher.disconnect());
    },
  };
}
