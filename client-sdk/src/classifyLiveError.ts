import { ChatGraphError, type GraphQLErrorPayload } from './ChatGraphError.ts';
import { LIVE_CLOSE_CODES, TOKEN_EXPIRED_REASON, type LiveAction } from './generated/protocol.ts';

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
  /** True when the connection renews a refused token before reconnecting (a client managing its session). */
  renewsTokens?: boolean;
}

/** Close codes of the chatgraph gateway by name (numbers from the generated protocol; see docs/errors.md). */
export const LiveCloseCode = Object.fromEntries(
  Object.entries(LIVE_CLOSE_CODES).map(([name, spec]) => [name, spec.code]),
) as { readonly [K in keyof typeof LIVE_CLOSE_CODES]: (typeof LIVE_CLOSE_CODES)[K]['code'] };

// A refused token is tried again with a fresh getToken() this many times before the stream gives up.
const MAX_TOKEN_REFUSALS = 2;

/** What the protocol says about a close code; a code it does not list (a dropped network) is reconnected. */
export function closeAction(code: number): LiveAction {
  for (const spec of Object.values(LIVE_CLOSE_CODES)) if (spec.code === code) return spec.live;
  return 'resubscribe';
}

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
 * The server's protocol table (generated from its error registry) says what each code and close code means:
 * - codes and close codes whose action is `resubscribe` (`SLOW_CONSUMER`, `SUBSCRIPTION_RESTART`,
 *   `SERVICE_UNAVAILABLE`, close 1001...) and dropped sockets: resubscribe after backoff;
 * - close 4401 `Token expired` or 4410 (session revoked) on an accepted socket: resubscribe at once (a new socket asks
 *   `getToken()` again, after renewing the token when the client manages its session); a token refused at connect is
 *   retried with a fresh one a couple of times, then `UNAUTHENTICATED` (an invalid or revoked one at once, unless the
 *   client renews tokens);
 * - codes whose action is `end` (`FORBIDDEN`, `NOT_FOUND`, `BAD_USER_INPUT`, `LIMIT_EXCEEDED`...): give up with it.
 */
export function classifyLiveError(err: unknown, context: LiveFailureContext): LiveFailure {
  if (isGraphQLErrorList(err)) return byAction(ChatGraphError.fromGraphQLErrors(err));
  if (err instanceof ChatGraphError) return byAction(err);
  if (isCloseLike(err)) {
    const reason = err.reason || 'no reason given';
    const action = closeAction(err.code);
    if (action === 'reauthenticate') {
      const error = new ChatGraphError('UNAUTHENTICATED', `The live connection was refused: ${reason}.`, {
        cause: err,
      });
      const renewable =
        reason === TOKEN_EXPIRED_REASON || err.code === LIVE_CLOSE_CODES.SessionRevoked.code || context.renewsTokens;
      if (!renewable) return { action: 'fatal', error };
      if (context.wasAcknowledged) return { action: 'retry', delay: 'now', error };
      return context.consecutiveRefusals <= MAX_TOKEN_REFUSALS
        ? { action: 'retry', delay: 'backoff', error }
        : { action: 'fatal', error };
    }
    if (action === 'end') {
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

/**
 * A subscription-level error, by its code's live action. `reauthenticate` is final here: the socket stays open with
 * the token it has, so only a close (4401) makes a new socket ask `getToken()` again.
 */
function byAction(error: ChatGraphError): LiveFailure {
  return error.liveAction === 'resubscribe' ? { action: 'retry', delay: 'backoff', error } : { action: 'fatal', error };
}
