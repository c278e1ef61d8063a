export { ErrorCodes, isErrorCode, requestAction, liveAction } from './codes';
export type { ErrorCode, ErrorCodeSpec, RequestAction, LiveAction } from './codes';
export { LiveCloseCodes, TOKEN_EXPIRED_REASON, closeAction } from './closeCodes';
export type { CloseCodeSpec, LiveCloseCodeName } from './closeCodes';
export { userError, badInput } from './userError';
export { createFormatError, formatErrors } from './formatError';
export { errorsMarkdown } from './errorsMarkdown';
export { protocolModule } from './protocolModule';
