import { identitySignerFromConfig, tokenServiceFromConfig } from '@chatgraph/auth';
import { adminPortFor, loadConfigOrExit } from '@chatgraph/config';
import { createLogger } from '@chatgraph/logging';
import { runService } from '@chatgraph/service';
import { createGatewayServer } from './server';

const config = loadConfigOrExit();
const logger = createLogger('gateway', config);

runService(
  'gateway',
  logger,
  async () => {
    const server = createGatewayServer({
      config,
      logger,
      tokens: tokenServiceFromConfig(config),
      identity: identitySignerFromConfig(config),
    });
    // SIGHUP reloads the committed supergraph without a restart (live subscriptions resume with afterSeq).
    process.on('SIGHUP', () => server.supergraph.reload());
    await server.listen(config.GATEWAY_PORT, config.HOST);
    await server.admin.listen(adminPortFor(config, config.GATEWAY_PORT), config.ADMIN_HOST);
    return server;
  },
  config.SHUTDOWN_GRACE_MS,
);
