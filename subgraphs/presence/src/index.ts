import { loadConfigOrExit } from '@chatgraph/config';
import { createLogger } from '@chatgraph/logging';
import { startTelemetry } from '@chatgraph/telemetry';
import { runService } from '@chatgraph/service';
import { startPresence } from './startPresence';

const config = loadConfigOrExit();
startTelemetry('presence', config);
const logger = createLogger('presence', config);
runService('presence', logger, () => startPresence(config, logger), config.SHUTDOWN_GRACE_MS);
