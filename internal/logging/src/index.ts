export { createLogger, REDACTED_KEYS } from './createLogger';
export type { Logger, LogSettings } from './createLogger';
export { withRequestScope, currentRequest, requestIdFrom, requestIdHeader, REQUEST_ID_HEADER } from './requestScope';
export type { RequestScope } from './requestScope';
