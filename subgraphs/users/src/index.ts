import { adminPortFor, loadConfigOrExit } from '@chatgraph/config';
import { createUsersDatabase } from '@chatgraph/db';
import { createLogger } from '@chatgraph/logging';
import { runService } from '@chatgraph/service';
import { createUsersServer } from './server';

const config = loadConfigOrExit();
const logger = createLogger('users', config);

runService(
  'users',
  logger,
  async () => {
    const db = createUsersDatabase(config);
    const server = createUsersServer({ config, db, logger });
    try {
      await server.listen(config.USERS_PORT, config.HOST);
      await server.admin.listen(adminPortFor(config, config.USERS_PORT), config.ADMIN_HOST);
    } catch (err) {
      await server.close();
      await db.close();
      throw err;
    }
    return {
      // Stop taking requests and let in-flight ones finish before the database pools go away.
      async close() {
        await server.close();
        await db.close();
      },
    };
  },
  config.SHUTDOWN_GRACE_MS,
);
