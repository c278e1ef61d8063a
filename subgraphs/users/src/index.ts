import './instrument';
import { adminPortFor, loadConfigOrExit } from '@chatgraph/config';
import { createUsersDatabase, followTopology, replicaOptionsFromConfig } from '@chatgraph/db';
import { createLogger, currentRequest } from '@chatgraph/logging';
import { createFailFastRedis, redisLocation } from '@chatgraph/pubsub';
import { registerDatabaseMetrics, runService } from '@chatgraph/service';
import { SessionSweeper } from './jobs/SessionSweeper';
import { createUsersServer } from './server';

const config = loadConfigOrExit();
const logger = createLogger('users', config);

runService(
  'users',
  logger,
  async () => {
    // Only logging out and deleting an account need Redis (to tell the gateways); signing in works without it.
    // With read replicas (DATABASE_REPLICA_URLS) it also keeps each viewer's write positions (read-your-writes).
    const redis = createFailFastRedis(redisLocation(config), logger, { name: 'users' });
    const db = createUsersDatabase(
      config,
      undefined,
      replicaOptionsFromConfig(config, 'users', { redis, scope: currentRequest }),
    );
    // Where each shard lives (the stored topology), followed without a restart.
    const topology = await followTopology(config, [{ service: 'users', db }], logger);
    const server = createUsersServer({ config, db, redis, logger });
    registerDatabaseMetrics(server.metrics, db);
    try {
      await server.listen(config.USERS_PORT, config.HOST);
      await server.admin.listen(adminPortFor(config, config.USERS_PORT), config.ADMIN_HOST);
    } catch (err) {
      await server.close();
      redis.disconnect();
      await topology.stop();
      await db.close();
      throw err;
    }
    // Deletes sessions a day after they expired, so the tables hold about REFRESH_TTL_DAYS of sign-ins.
    const sweeper = new SessionSweeper({ db, logger });
    sweeper.start();
    return {
      // Stop taking requests and let in-flight ones finish before the database pools and Redis go away.
      async close() {
        await sweeper.stop();
        await server.close();
        await redis.quit().catch(() => redis.disconnect());
        await topology.stop();
        await db.close();
      },
    };
  },
  config.SHUTDOWN_GRACE_MS,
);
