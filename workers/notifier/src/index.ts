import './instrument';
import { loadConfigOrExit } from '@chatgraph/config';
import { createLogger } from '@chatgraph/logging';
import { runService } from '@chatgraph/service';
import { startNotifier } from './startNotifier';

const config = loadConfigOrExit();
const logger = createLogger('notifier', config);

runService('notifier', logger, () => startNotifier(config, logger), config.SHUTDOWN_GRACE_MS);
