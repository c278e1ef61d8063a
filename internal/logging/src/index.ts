export { createLogger } from './createLogger';
export type { Logger } from './createLogger';
