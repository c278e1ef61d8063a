export { ErrorCodes, isErrorCode } from './codes';
export type { ErrorCode } from './codes';
export { userError, badInput } from './userError';
export { createFormatError } from './formatError';
export { errorsMarkdown } from './errorsMarkdown';
