import { identitySignerFromConfig } from '@chatgraph/auth';
import { adminPortFor, loadConfigOrExit } from '@chatgraph/config';
import { createChatsDatabase } from '@chatgraph/db';
import { createLogger } from '@chatgraph/logging';
import { RedisEventBus } from '@chatgraph/pubsub';
import { runService } from '@chatgraph/service';
import { createChatsServer } from './server';
import { IndexRepairer } from './jobs/IndexRepairer';

const config = loadConfigOrExit();
const logger = createLogger('chats', config);

runService(
  'chats',
  logger,
  async () => {
    const db = createChatsDatabase(config);
    const bus = new RedisEventBus({ url: config.REDIS_URL, logger });
    const repairer = new IndexRepairer({ db, logger });
    const { server } = createChatsServer({
      db,
      bus,
      identity: identitySignerFromConfig(config),
      logger,
      introspection: config.INTROSPECTION,
    });
    await server.listen(config.CHATS_PORT, config.HOST);
    await server.admin.listen(adminPortFor(config, config.CHATS_PORT), config.ADMIN_HOST);
    // Replays index changes that a previous process committed but did not apply before it died.
    repairer.start();
    return {
      async close() {
        await repairer.stop();
        await server.close();
        await bus.close();
        await db.close();
      },
    };
  },
  config.SHUTDOWN_GRACE_MS,
);
