import { ChatGraphError, type GraphQLErrorPayload } from './ChatGraphError.ts';

/** What a live stream does after its subscription failed. */
export type LiveFailure =
  /** Subscribe again: at once (`now`), or after the stream's backoff. */
  | { action: 'retry'; delay: 'now' | 'backoff'; error: ChatGraphError }
  /** Give up: the error is the stream's last word. */
  | { action: 'fatal'; error: ChatGraphError };

/** What the connection knew when the failure happened. */
export interface LiveFailureContext {
  /** True when the socket that closed had been acknowledged (the token was accepted on it). */
  wasAcknowledged: boolean;
  /** Sockets refused at `connection_init` in a row (their tokens were rejected before any was accepted). */
  consecutiveRefusals: number;
}

/** graphql-ws close codes of the chatgraph gateway. */
export const LiveCloseCode = {
  /** Token missing, invalid or expired (reason `Token expired` when expired). */
  Unauthorized: 4401,
  /** The client sent garbage. */
  BadRequest: 4400,
  /** The gateway is shutting down: reconnect anywhere and resume. */
  GoingAway: 1001,
} as const;

// A refused token is tried again with a fresh getToken() this many times before the stream gives up.
const MAX_TOKEN_REFUSALS = 2;

/** Codes after which subscribing again (with `afterSeq`) is the right move. */
const RETRY_CODES = new Set([
  'SLOW_CONSUMER',
  'SUBSCRIPTION_RESTART',
  'SERVICE_UNAVAILABLE',
  'RATE_LIMITED',
  'INTERNAL_SERVER_ERROR',
]);

interface CloseLike {
  code: number;
  reason: string;
}

function isCloseLike(value: unknown): value is CloseLike {
  return (
    typeof value === 'object' && value !== null && typeof (value as CloseLike).code === 'number' && 'reason' in value
  );
}

function isGraphQLErrorList(value: unknown): value is GraphQLErrorPayload[] {
  return (
    Array.isArray(value) && value.every((e) => typeof e === 'object' && e !== null && typeof e.message === 'string')
  );
}

/**
 * Decides what a live stream does with a failure of its subscription, as graphql-ws reports it: an `error` message
 * of the operation (a GraphQL error list with `extensions.code`), the close event of the socket, or a socket error.
 * - `SLOW_CONSUMER`, `SUBSCRIPTION_RESTART`, `SERVICE_UNAVAILABLE`... and dropped sockets: resubscribe after backoff;
 * - close 4401 `Token expired` on an accepted socket: resubscribe at once (a new socket asks `getToken()` again); a
 *   token refused at connect is retried with a fresh one a couple of times, then `UNAUTHENTICATED`;
 * - `FORBIDDEN`, `NOT_FOUND`, `BAD_USER_INPUT`, `LIMIT_EXCEEDED`, other 4401s...: give up with that error.
 */
export function classifyLiveError(err: unknown, context: LiveFailureContext): LiveFailure {
  if (isGraphQLErrorList(err)) {
    const error = ChatGraphError.fromGraphQLErrors(err);
    return RETRY_CODES.has(error.code) ? { action: 'retry', delay: 'backoff', error } : { action: 'fatal', error };
  }
  if (err instanceof ChatGraphError) {
    return err.transient ? { action: 'retry', delay: 'backoff', error: err } : { action: 'fatal', error: err };
  }
  if (isCloseLike(err)) {
    const reason = err.reason || 'no reason given';
    if (err.code === LiveCloseCode.Unauthorized) {
      const error = new ChatGraphError('UNAUTHENTICATED', `The live connection was refused: ${reason}.`, {
        cause: err,
      });
      if (reason !== 'Token expired') return { action: 'fatal', error };
      if (context.wasAcknowledged) return { action: 'retry', delay: 'now', error };
      return context.consecutiveRefusals <= MAX_TOKEN_REFUSALS
        ? { action: 'retry', delay: 'backoff', error }
        : { action: 'fatal', error };
    }
    if (err.code === LiveCloseCode.BadRequest || err.code === 4406 /* subprotocol not acceptable */) {
      return {
        action: 'fatal',
        error: new ChatGraphError('BAD_REQUEST', `The live connection was closed: ${reason}.`, { cause: err }),
      };
    }
    return {
      action: 'retry',
      delay: 'backoff',
      error: new ChatGraphError('NETWORK_ERROR', `The live connection closed (${err.code}: ${reason}).`, {
        cause: err,
      }),
    };
  }
  // Socket errors are Events (browsers) or ErrorEvents with a message (ws); getToken() failures are Errors.
  const detail = typeof err === 'object' && err !== null ? (err as { message?: unknown }).message : undefined;
  const message = typeof detail === 'string' && detail ? detail : 'the WebSocket failed';
  return {
    action: 'retry',
    delay: 'backoff',
    error: new ChatGraphError('NETWORK_ERROR', `The live connection failed: ${message}`, { cause: err }),
  };
}
