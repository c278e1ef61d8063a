import './instrument';
import { identitySignerFromConfig } from '@chatgraph/auth';
import { adminPortFor, loadConfigOrExit, replicaUrls } from '@chatgraph/config';
import { egressGuardFromConfig } from '@chatgraph/egress';
import { createNotificationsDatabase, followTopology, hasReplicas, replicaOptionsFromConfig } from '@chatgraph/db';
import { createLogger, currentRequest } from '@chatgraph/logging';
import { createFailFastRedis, redisLocation } from '@chatgraph/pubsub';
import { registerDatabaseMetrics, runService, SubgraphClient } from '@chatgraph/service';
import { createNotificationsServer } from './server';
import { ChatMemberships } from './webhooks/ChatMemberships';
import { EmailLinks } from './email/EmailLinks';
import { UsersEmailConfirmation } from './email/UsersEmailConfirmation';

const config = loadConfigOrExit();
const logger = createLogger('notifications', config);

runService(
  'notifications',
  logger,
  async () => {
    // Read-your-writes on read replicas (DATABASE_REPLICA_URLS or the topology file's) keeps each viewer's write
    // positions in Redis.
    const positions = hasReplicas(config)
      ? createFailFastRedis(redisLocation(config), logger, { name: 'notifications-read-your-writes' })
      : undefined;
    const db = createNotificationsDatabase(
      config,
      undefined,
      positions && replicaOptionsFromConfig(config, 'notifications', { redis: positions, scope: currentRequest }),
    );
    // Where each shard lives (the stored topology), followed without a restart.
    const topology = await followTopology(config, [{ service: 'notifications', db }], logger);
    const identity = identitySignerFromConfig(config);
    const server = createNotificationsServer({
      db,
      identity,
      logger,
      introspection: config.INTROSPECTION,
      memberships: new ChatMemberships(
        new SubgraphClient({ name: 'chats', urls: replicaUrls(config.CHATS_URL), identity }),
      ),
      targets: egressGuardFromConfig(config),
      emailLinks: EmailLinks.fromConfig(config),
      emailConfirmation: new UsersEmailConfirmation(
        new SubgraphClient({ name: 'users', urls: replicaUrls(config.USERS_URL), identity }),
      ),
    });
    registerDatabaseMetrics(server.metrics, db);
    try {
      await server.listen(config.NOTIFICATIONS_PORT, config.HOST);
      await server.admin.listen(adminPortFor(config, config.NOTIFICATIONS_PORT), config.ADMIN_HOST);
    } catch (err) {
      await server.close();
      await topology.stop();
      await db.close();
      positions?.disconnect();
      throw err;
    }
    return {
      async close() {
        await server.close();
        await topology.stop();
        await db.close();
        await positions?.quit().catch(() => positions.disconnect());
      },
    };
  },
  config.SHUTDOWN_GRACE_MS,
);
