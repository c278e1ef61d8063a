/**
 * Every `extensions.code` a client can receive from chatgraph, declared once. `docs/errors.md` is generated from
 * this table (`npm run docs:errors`), so the documentation cannot drift from the code.
 */
export const ErrorCodes = {
  UNAUTHENTICATED: 'No valid access token: sign in again (missing, malformed, expired or revoked token).',
  FORBIDDEN: 'Signed in, but not allowed: for example not a member of the chat, or not its admin.',
  NOT_FOUND: 'The chat, message or user does not exist (or is not visible to the viewer).',
  BAD_USER_INPUT: 'An argument is malformed or out of range; `extensions.field` names it when there is one.',
  CONFLICT: 'The request contradicts the current state, e.g. a reused clientMessageId with a different text.',
  USERNAME_TAKEN: 'signUp: that username is already in use (usernames are unique, case-insensitive).',
  INVALID_CREDENTIALS: 'logIn: the username or the password is wrong (the two are never told apart).',
  RATE_LIMITED: 'Too many requests of this kind; `extensions.retryAfterMs` says when to try again.',
  SERVICE_UNAVAILABLE: 'A service chatgraph depends on is down; retry later. Nothing was written.',
  LIMIT_EXCEEDED: 'Too many live subscriptions for this connection, user or gateway instance; close some first.',
  SLOW_CONSUMER:
    'A live subscription fell too far behind and was closed; resubscribe with `afterSeq` to resume exactly.',
  SUBSCRIPTION_RESTART:
    'The gateway closed a live subscription (schema reload or shutdown); resubscribe with `afterSeq`.',
  BAD_REQUEST:
    'The HTTP request is not one the server accepts: no query, a body that is not JSON, or a body too large.',
  OPERATION_RESOLUTION_FAILURE: 'The document has several operations and `operationName` names none of them.',
  PERSISTED_QUERY_NOT_FOUND: 'The server does not know this persisted query hash; send the full query with it once.',
  GRAPHQL_PARSE_FAILED: 'The document is not valid GraphQL syntax.',
  GRAPHQL_VALIDATION_FAILED: 'The document does not match the schema.',
  INTERNAL_SERVER_ERROR: 'An unexpected failure; details are logged on the server and never sent to clients.',
} as const;

/** A code from the registry. */
export type ErrorCode = keyof typeof ErrorCodes;

/** True when `code` is a code of the registry. */
export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.prototype.hasOwnProperty.call(ErrorCodes, code);
}
