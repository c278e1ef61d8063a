import './instrument';
import { identitySignerFromConfig } from '@chatgraph/auth';
import { adminPortFor, loadConfigOrExit, replicaUrls } from '@chatgraph/config';
import { createChatsDatabase, followTopology, hasReplicas, replicaOptionsFromConfig } from '@chatgraph/db';
import { createLogger, currentRequest } from '@chatgraph/logging';
import { createFailFastRedis, RedisEventBus, redisLocation } from '@chatgraph/pubsub';
import { RateLimits } from '@chatgraph/ratelimit';
import { registerDatabaseMetrics, registerPublishMetrics, runService, SubgraphClient } from '@chatgraph/service';
import { createChatsServer } from './server';
import { IndexRepairer } from './jobs/IndexRepairer';
import { withCachedBlocks } from './users/CachedBlocks';
import { RemoteUserDirectory } from './users/UserDirectory';

const config = loadConfigOrExit();
const logger = createLogger('chats', config);

runService(
  'chats',
  logger,
  async () => {
    // Read-your-writes on read replicas (DATABASE_REPLICA_URLS or the topology file's) keeps each viewer's write
    // positions in Redis.
    const positions = hasReplicas(config)
      ? createFailFastRedis(redisLocation(config), logger, { name: 'chats-read-your-writes' })
      : undefined;
    const db = createChatsDatabase(
      config,
      undefined,
      positions && replicaOptionsFromConfig(config, 'chats', { redis: positions, scope: currentRequest }),
    );
    // Where each shard lives (the stored topology), followed without a restart.
    const topology = await followTopology(config, [{ service: 'chats', db }], logger);
    // Without ioredis's auto-pipelining: a send's Redis commands (its rate limits, its publishes) come in different turns,
    // so each would travel alone in a pipeline of its own anyway, and a pipeline object copies every script command of
    // the connection. Those objects were 40 % of what outlived the young generation at 200 sends/s (bench/src/tools/
    // sendCost.ts --heap): without them the process promotes 40 % less and spends about a tenth less CPU per send.
    const bus = new RedisEventBus({ ...redisLocation(config), logger, autoPipelining: false });
    const repairer = new IndexRepairer({ db, logger });
    const limits = RateLimits.fromConfig(config, logger, { autoPipelining: false });
    const identity = identitySignerFromConfig(config);
    // Block answers are kept until the users service announces a change (or CHATS_BLOCK_CACHE_MS passes).
    const directory = withCachedBlocks(
      new RemoteUserDirectory(new SubgraphClient({ name: 'users', urls: replicaUrls(config.USERS_URL), identity })),
      { channels: bus.channels, namespace: config.DB_NAME_PREFIX, ttlMs: config.CHATS_BLOCK_CACHE_MS, logger },
    );
    const users = directory.users;
    const { server, stores } = createChatsServer({
      db,
      bus,
      relayWakeups: bus.channels.sharded,
      users,
      limits,
      identity,
      logger,
      introspection: config.INTROSPECTION,
    });
    registerDatabaseMetrics(server.metrics, db);
    registerPublishMetrics(server.metrics, bus, stores.publisher.reannouncer);
    await limits.store.connected();
    // Subscribes in the background: with Redis down at start the service still serves, its block checks asking the
    // users service until the announcements are heard.
    void directory.start();
    await server.listen(config.CHATS_PORT, config.HOST);
    await server.admin.listen(adminPortFor(config, config.CHATS_PORT), config.ADMIN_HOST);
    // Replays index changes that a previous process committed but did not apply before it died.
    repairer.start();
    return {
      async close() {
        await repairer.stop();
        await server.close();
        // Changes Redis refused so far get one last try before the connection closes.
        await stores.publisher.close();
        await limits.close();
        await directory.stop();
        await bus.close();
        await topology.stop();
        await db.close();
        await positions?.quit().catch(() => positions.disconnect());
      },
    };
  },
  config.SHUTDOWN_GRACE_MS,
);
