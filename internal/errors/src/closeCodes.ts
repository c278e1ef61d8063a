import type { LiveAction } from './codes';

/** One WebSocket close code of `/graphql` (graphql-transport-ws): its number, meaning and what a client does. */
export interface CloseCodeSpec {
  code: number;
  description: string;
  /**
   * `resubscribe`: reconnect after a backoff and resubscribe every stream with `afterSeq`; `reauthenticate`: get a new
   * token first; `end`: do not reconnect as is (the client is at fault).
   */
  live: LiveAction;
}

/** The reason sent with {@link LiveCloseCodes}.Unauthorized when a token that was accepted has since expired. */
export const TOKEN_EXPIRED_REASON = 'Token expired';

/**
 * Every close code the gateway sends on a live connection, declared once. graphql-ws's own codes keep their numbers
 * (a stock graphql-ws client understands them); the gateway sends them for the reasons given here. The SDK's copy is
 * generated from this table.
 */
export const LiveCloseCodes = {
  GoingAway: {
    code: 1001,
    description: 'The gateway is shutting down: reconnect (to any instance) and resubscribe with `afterSeq`.',
    live: 'resubscribe',
  },
  BadRequest: {
    code: 4400,
    description: 'A frame that is not a valid protocol message (or too large). Fix the client; do not retry as is.',
    live: 'end',
  },
  Unauthorized: {
    code: 4401,
    description:
      'Missing, invalid, expired or revoked token (reason `Token expired` when it expired while connected): get a new ' +
      'token, reconnect and resubscribe with `afterSeq`.',
    live: 'reauthenticate',
  },
  SessionRevoked: {
    code: 4410,
    description:
      "The session of the connection's token ended while connected (`logOut`, `logOutEverywhere`, `deleteAccount`, or " +
      'a reused refresh token): refresh the session, or sign in again if that is refused, then reconnect and ' +
      'resubscribe with `afterSeq`. Also sent when the API token of the connection is revoked (reason `API token ' +
      'revoked`): that token will not work again.',
    live: 'reauthenticate',
  },
  Forbidden: {
    code: 4403,
    description: 'The connection was refused at `connection_init`. Do not retry as is.',
    live: 'end',
  },
  SubprotocolNotAcceptable: {
    code: 4406,
    description: 'The client does not speak `graphql-transport-ws`.',
    live: 'end',
  },
  ConnectionInitialisationTimeout: {
    code: 4408,
    description: 'No `connection_init` within the allowed time: reconnect.',
    live: 'resubscribe',
  },
  SubscriberAlreadyExists: {
    code: 4409,
    description: 'A subscription id was reused while its subscription was running (a client bug).',
    live: 'end',
  },
  TooManyInitialisationRequests: {
    code: 4429,
    description: 'More than one `connection_init` on a socket (a client bug).',
    live: 'end',
  },
  RateLimited: {
    code: 4430,
    description:
      'Too many new connections for this user (the reason says `retry after <ms> ms`): reconnect after that time and ' +
      'resubscribe with `afterSeq`. Too many from one address are refused before the WebSocket opens (HTTP 429).',
    live: 'resubscribe',
  },
  InternalServerError: {
    code: 4500,
    description: 'An unexpected failure on the gateway: reconnect after a backoff and resubscribe with `afterSeq`.',
    live: 'resubscribe',
  },
} as const satisfies Record<string, CloseCodeSpec>;

/** A name of {@link LiveCloseCodes}. */
export type LiveCloseCodeName = keyof typeof LiveCloseCodes;

/** What a client does after the socket closed with `code`; an unknown code (a dropped network) reconnects. */
export function closeAction(code: number): LiveAction {
  for (const spec of Object.values(LiveCloseCodes)) if (spec.code === code) return spec.live;
  return 'resubscribe';
}
