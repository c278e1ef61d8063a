// The chatgraph gateway as gateway/src/index.ts starts it, plus IPC probes (memory after GC, CPU profile of a window) for the bench.
import { identitySignerFromConfig, tokenServiceFromConfig } from '@chatgraph/auth';
import { adminPortFor, loadConfigOrExit } from '@chatgraph/config';
import { createGatewayServer } from '@chatgraph/gateway';
import { createLogger } from '@chatgraph/logging';
import { runService } from '@chatgraph/service';
import { answerBenchProbes } from './benchProbes';

const config = loadConfigOrExit();
const logger = createLogger('gateway', config);
answerBenchProbes();

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
    await server.listen(config.GATEWAY_PORT, config.HOST);
    await server.admin.listen(adminPortFor(config, config.GATEWAY_PORT), config.ADMIN_HOST);
    return server;
  },
  config.SHUTDOWN_GRACE_MS,
);
