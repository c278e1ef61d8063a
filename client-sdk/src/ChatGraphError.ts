/**
 * Every `extensions.code` the chatgraph API sends (the server's error registry), plus the SDK's own codes for failures
 * that never reached a server or never came back from one:
 * - `NETWORK_ERROR`: the request or the live connection failed (unreachable, dropped, a proxy's 502/503/504). Safe to
 *   retry for idempotent calls; `sendMessage` does so by itself.
 * - `BAD_RESPONSE`: something answered, but not with a GraphQL response.
 */
export const CHATGRAPH_ERROR_CODES = [
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'BAD_USER_INPUT',
  'CONFLICT',
  'USERNAME_TAKEN',
  'INVALID_CREDENTIALS',
  'RATE_LIMITED',
  'SERVICE_UNAVAILABLE',
  'LIMIT_EXCEEDED',
  'SLOW_CONSUMER',
  'SUBSCRIPTION_RESTART',
  'BAD_REQUEST',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_FOUND',
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'INTERNAL_SERVER_ERROR',
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

  /**
   * True when the same request may succeed if sent again unchanged: the network failed, or a service chatgraph needs
   * is down for a moment. (Only idempotent requests should be retried; `sendMessage` is, by its `clientMessageId`.)
   */
  get transient(): boolean {
    return this.code === 'NETWORK_ERROR' || this.code === 'SERVICE_UNAVAILABLE';
  }
}

/** True when `value` is a {@link ChatGraphError}, optionally with one of `codes`. */
export function isChatGraphError(value: unknown, ...codes: ChatGraphErrorCode[]): value is ChatGraphError {
  return value instanceof ChatGraphError && (codes.length === 0 || codes.includes(value.code));
}
