/**
 * What a client does with a request (query or mutation) that failed with a code:
 * - `retry`: the failure is transient; the same request may be sent again after a backoff (only requests that are
 *   safe to repeat: queries, and mutations made idempotent, like `sendMessage` with its `clientMessageId`). When the
 *   error carries `extensions.retryAfterMs`, wait at least that long.
 * - `reauthenticate`: get a new access token (refresh the session or sign in again), then send the request again.
 * - `fail`: sending the same request again gives the same answer; show the error or change the request.
 */
export type RequestAction = 'retry' | 'reauthenticate' | 'fail';

/**
 * What a client does with a live subscription that ended with a code:
 * - `resubscribe`: subscribe again after a backoff with `afterSeq` = the last seq received; nothing is lost.
 * - `reauthenticate`: get a new access token, reconnect, then resubscribe with `afterSeq`.
 * - `end`: the subscription is over for good (access revoked, chat gone, bad arguments, over a cap).
 */
export type LiveAction = 'resubscribe' | 'reauthenticate' | 'end';

/** One code of the registry: its meaning and what a client does about it. */
export interface ErrorCodeSpec {
  description: string;
  request: RequestAction;
  live: LiveAction;
}

const spec = (description: string, request: RequestAction, live: LiveAction): ErrorCodeSpec => ({
  description,
  request,
  live,
});

/**
 * Every `extensions.code` a client can receive from chatgraph, declared once with what a client should do about it.
 * The gateway (which errors end a live subscription, which it retries itself), the SDK (which requests it retries,
 * which streams it resumes; its copy is generated from this table) and `docs/errors.md` all derive from here.
 */
export const ErrorCodes = {
  UNAUTHENTICATED: spec(
    'No valid access token: sign in again (missing, malformed, expired or revoked token).',
    'reauthenticate',
    'reauthenticate',
  ),
  FORBIDDEN: spec(
    'Signed in, but not allowed: for example not a member of the chat, or not its admin, or an API token without the ' +
      'scope the operation needs (`extensions.requiredScope` names it).',
    'fail',
    'end',
  ),
  NOT_FOUND: spec('The chat, message or user does not exist (or is not visible to the viewer).', 'fail', 'end'),
  BAD_USER_INPUT: spec(
    'An argument is malformed or out of range; `extensions.field` names it when there is one.',
    'fail',
    'end',
  ),
  CONFLICT: spec(
    'The request contradicts the current state, e.g. a reused clientMessageId with a different text.',
    'fail',
    'end',
  ),
  BLOCKED: spec(
    'The other user blocked the viewer: no direct chat with them, no message in it, and they cannot be added to a ' +
      'group by the viewer (`extensions.userIds` names them).',
    'fail',
    'end',
  ),
  BANNED: spec(
    'The user is banned from this group chat and cannot be added back until an owner or admin unbans them ' +
      '(`extensions.userIds` names them).',
    'fail',
    'end',
  ),
  USERNAME_TAKEN: spec(
    'signUp: that username is already in use (usernames are unique, case-insensitive).',
    'fail',
    'end',
  ),
  INVALID_CREDENTIALS: spec(
    'logIn: the username or the password is wrong (the two are never told apart); deleteAccount: the password is wrong.',
    'fail',
    'end',
  ),
  RATE_LIMITED: spec(
    'Too many requests of this kind; `extensions.retryAfterMs` says when to try again.',
    'retry',
    'resubscribe',
  ),
  SERVICE_UNAVAILABLE: spec(
    'A service chatgraph depends on is down or overloaded; retry later. Nothing was written.',
    'retry',
    'resubscribe',
  ),
  QUERY_TOO_COMPLEX: spec(
    'The operation is too deep, uses too many aliases or may return too much: `extensions` says which limit and by ' +
      'how much (`cost`/`maxCost`, `depth`/`maxDepth`, `aliases`/`maxAliases`). Ask for smaller pages or less nesting.',
    'fail',
    'end',
  ),
  LIMIT_EXCEEDED: spec(
    'Too many of something: live subscriptions for this connection, user or gateway instance, bots, API tokens ' +
      'or webhooks of the viewer, different emoji on a message, pinned messages in a chat or blocks of a user; close ' +
      'or remove some ' +
      'first (`extensions.limit` says how many are allowed when it is a fixed number).',
    'fail',
    'end',
  ),
  SLOW_CONSUMER: spec(
    'A live subscription fell too far behind and was closed; resubscribe with `afterSeq` to resume exactly.',
    'fail',
    'resubscribe',
  ),
  SUBSCRIPTION_RESTART: spec(
    'The gateway closed a live subscription (schema reload or shutdown); resubscribe with `afterSeq`.',
    'fail',
    'resubscribe',
  ),
  BAD_REQUEST: spec(
    'The HTTP request is not one the server accepts: no query, a body that is not JSON, a body too large, or a ' +
      'subscription (subscriptions run over WebSocket).',
    'fail',
    'end',
  ),
  OPERATION_RESOLUTION_FAILURE: spec(
    'The document has several operations and `operationName` names none of them.',
    'fail',
    'end',
  ),
  PERSISTED_QUERY_NOT_FOUND: spec(
    'The server does not know this persisted query hash; send the full query with it once (a gateway that requires ' +
      'trusted documents then answers OPERATION_NOT_TRUSTED unless the document is one of them).',
    'fail',
    'end',
  ),
  OPERATION_NOT_TRUSTED: spec(
    'The gateway runs only the operations of its trusted-documents manifest (TRUSTED_DOCUMENTS=require) and this ' +
      'document is not one of them: use an operation of the SDK (or of the manifest your build deploys) unchanged.',
    'fail',
    'end',
  ),
  GRAPHQL_PARSE_FAILED: spec('The document is not valid GraphQL syntax.', 'fail', 'end'),
  GRAPHQL_VALIDATION_FAILED: spec('The document does not match the schema.', 'fail', 'end'),
  INTERNAL_SERVER_ERROR: spec(
    'An unexpected failure; details are logged on the server and never sent to clients. A live subscription that ' +
      'ended with it may be resumed with `afterSeq`.',
    'fail',
    'resubscribe',
  ),
} as const satisfies Record<string, ErrorCodeSpec>;

/** A code from the registry. */
export type ErrorCode = keyof typeof ErrorCodes;

/** True when `code` is a code of the registry. */
export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.prototype.hasOwnProperty.call(ErrorCodes, code);
}

/** What a client does with a request that failed with `code`; an unknown code is final (`fail`). */
export function requestAction(code: unknown): RequestAction {
  return isErrorCode(code) ? ErrorCodes[code].request : 'fail';
}

/**
 * What happens to a live subscription that ended with `code`. An uncoded failure is treated like
 * `INTERNAL_SERVER_ERROR` (resumable): only a deliberate refusal ends a stream for good.
 */
export function liveAction(code: unknown): LiveAction {
  return isErrorCode(code) ? ErrorCodes[code].live : 'resubscribe';
}
