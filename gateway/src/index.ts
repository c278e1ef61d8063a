import './instrument';
import { loadConfigOrExit } from '@chatgraph/config';
import { createLogger } from '@chatgraph/logging';
import { runGateway } from './server';

const config = loadConfigOrExit();
runGateway(config, createLogger('gateway', config));
