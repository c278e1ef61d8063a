import { ERROR_CODE_POLICY, type LiveAction, type RequestAction } from './generated/protocol.ts';

/**
 * Every `extensions.code` the chatgraph API sends (generated from the server's error registry), plus the SDK's own
 * codes for failures that never reached a server or never came back from one:
 * - `NETWORK_ERROR`: the request or the live connection failed (unreachable, dropped, a proxy's 502/503/504). Safe to
 *   retry for idempotent calls; `sendMessage` does so by itself.
 * - `BAD_RESPONSE`: something answered, but not with a GraphQL response.
 */
export const CHATGRAPH_ERROR_CODES = [
  ...(Object.keys(ERROR_CODE_POLICY) as Array<keyof typeof ERROR_CODE_POLICY>),
  'NETWORK_ERROR',
  'BAD_RESPONSE',
] as const;

/**
 * A code of {@link CHATGRAPH_ERROR_CODES}. Typed as an open union so that a newer server's code still type-checks
 * while editors complete the known ones.
 */
export type ChatGraphErrorCode = (typeof CHATGRAPH_ERROR_CODES)[number] | (string & {});

/** A GraphQL error as the server sends it (the JSON of `errors[]`). */
export interface GraphQLErrorPayload {
  message: string;
  locations?: ReadonlyArray<{ line: number; column: number }>;
  path?: ReadonlyArray<string | number>;
  extensions?: Record<string, unknown>;
}

/** Options of {@link ChatGraphError}. */
export interface ChatGraphErrorOptions {
  /** Every error of the response (the first one gives `code` and `message`). */
  errors?: readonly GraphQLErrorPayload[];
  /** The HTTP status, when the error came from an HTTP response. */
  status?: number;
  /** The underlying failure (a fetch TypeError, a WebSocket close event...). */
  cause?: unknown;
}

/**
 * The one error type the SDK throws and reports. `code` is the server's `extensions.code` (see
 * {@link CHATGRAPH_ERROR_CODES}); `extensions` holds the rest of it (`field` for BAD_USER_INPUT, `retryAfterMs` for
 * RATE_LIMITED...).
 */
export class ChatGraphError extends Error {
  override readonly name = 'ChatGraphError';
  /** What went wrong, machine-readable: switch on this, not on `message`. */
  readonly code: ChatGraphErrorCode;
  /** The `extensions` of the first GraphQL error (empty for the SDK's own errors). */
  readonly extensions: Readonly<Record<string, unknown>>;
  /** Every GraphQL error of the response. */
  readonly errors: readonly GraphQLErrorPayload[];
  /** The HTTP status, when there was an HTTP response. */
  readonly status: number | undefined;

  constructor(code: ChatGraphErrorCode, message: string, options: ChatGraphErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.errors = options.errors ?? [];
    this.extensions = this.errors[0]?.extensions ?? {};
    this.status = options.status;
  }

  /** The error for a GraphQL `errors` array: code and message of the first error, all of them kept. */
  static fromGraphQLErrors(errors: readonly GraphQLErrorPayload[], status?: number): ChatGraphError {
    const first = errors[0];
    const code = first?.extensions?.code;
    return new ChatGraphError(
      typeof code === 'string' ? code : 'INTERNAL_SERVER_ERROR',
      first?.message ?? 'The server reported an error without a message.',
      { errors, status },
    );
  }

  /** What to do with a request that failed with this error (from the server's registry; see docs/errors.md). */
  get requestAction(): RequestAction {
    if (this.code === 'NETWORK_ERROR') return 'retry';
    return Object.prototype.hasOwnProperty.call(ERROR_CODE_POLICY, this.code)
      ? ERROR_CODE_POLICY[this.code as keyof typeof ERROR_CODE_POLICY].request
      : 'fail';
  }

  /**
   * What to do with a live subscription that ended with this error. An unknown code is treated as an unexpected
   * server failure (resumable): only a deliberate refusal ends a stream for good.
   */
  get liveAction(): LiveAction {
    if (this.code === 'NETWORK_ERROR') return 'resubscribe';
    return Object.prototype.hasOwnProperty.call(ERROR_CODE_POLICY, this.code)
      ? ERROR_CODE_POLICY[this.code as keyof typeof ERROR_CODE_POLICY].live
      : 'resubscribe';
  }

  /**
   * True when the same request may succeed if sent again unchanged: the network failed, a service chatgraph needs is
   * down for a moment, or a rate limit applies (wait `extensions.retryAfterMs`). Only idempotent requests should be
   * retried; `sendMessage` is, by its `clientMessageId`.
   */
  get transient(): boolean {
    return this.requestAction === 'retry';
  }

  /** How long the server asked to wait before trying again (`RATE_LIMITED`), in ms; 0 when it did not say. */
  get retryAfterMs(): number {
    const value = this.extensions.retryAfterMs;
    return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : 0;
  }
}

/** True when `value` is a {@link ChatGraphError}, optionally with one of `codes`. */
export function isChatGraphError(value: unknown, ...codes: ChatGraphErrorCode[]): value is ChatGraphError {
  return value instanceof ChatGraphError && (codes.length === 0 || codes.includes(value.code));
}
