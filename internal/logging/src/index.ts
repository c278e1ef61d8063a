export { createLogger } from './createLogger';
export type { Logger, LogSettings } from './createLogger';
