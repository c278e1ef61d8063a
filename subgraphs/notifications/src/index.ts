import { identitySignerFromConfig } from '@chatgraph/auth';
import { adminPortFor, loadConfigOrExit } from '@chatgraph/config';
import { createNotificationsDatabase } from '@chatgraph/db';
import { createLogger } from '@chatgraph/logging';
import { runService } from '@chatgraph/service';
import { createNotificationsServer } from './server';

const config = loadConfigOrExit();
const logger = createLogger('notifications', config);

runService(
  'notifications',
  logger,
  async () => {
    const db = createNotificationsDatabase(config);
    const server = createNotificationsServer({
      db,
      identity: identitySignerFromConfig(config),
      logger,
      introspection: config.INTROSPECTION,
    });
    try {
      await server.listen(config.NOTIFICATIONS_PORT, config.HOST);
      await server.admin.listen(adminPortFor(config, config.NOTIFICATIONS_PORT), config.ADMIN_HOST);
    } catch (err) {
      await server.close();
      await db.close();
      throw err;
    }
    return {
      async close() {
        await server.close();
        await db.close();
      },
    };
  },
  config.SHUTDOWN_GRACE_MS,
);
