import { loadConfigOrExit } from '@chatgraph/config';
import { createLogger } from '@chatgraph/logging';
import { startTelemetry } from '@chatgraph/telemetry';
import { runService } from '@chatgraph/service';
import { startNotifier } from './startNotifier';

const config = loadConfigOrExit();
startTelemetry('notifier', config);
const logger = createLogger('notifier', config);

runService('notifier', logger, () => startNotifier(config, logger), config.SHUTDOWN_GRACE_MS);
