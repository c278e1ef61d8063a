import './instrument';
import { loadConfigOrExit } from '@chatgraph/config';
import { createLogger } from '@chatgraph/logging';
import { runService } from '@chatgraph/service';
import { startPresence } from './startPresence';

const config = loadConfigOrExit();
const logger = createLogger('presence', config);
runService('presence', logger, () => startPresence(config, logger), config.SHUTDOWN_GRACE_MS);
