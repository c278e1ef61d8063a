export { createSubgraphServer } from './createSubgraphServer';
export type { BaseSubgraphContext, SubgraphServer, SubgraphServerOptions } from './createSubgraphServer';
export { nodeHttpHandler, MAX_BODY_BYTES } from './nodeHttpHandler';
export { runService } from './runService';
export type { RunningService } from './runService';
export { RequestLog } from './RequestLog';
export type { RequestLine } from './RequestLog';
