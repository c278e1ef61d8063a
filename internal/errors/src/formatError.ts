import type { GraphQLError, GraphQLFormattedError } from 'graphql';
import { isErrorCode } from './codes';

/**
 * The one rule for what a client sees of an error: errors whose code is in the registry pass through (without a
 * stack trace); anything else (a bug, a driver error) becomes `INTERNAL_SERVER_ERROR` with a generic message, and
 * the original is handed to `log`.
 */
function formatOne(formatted: GraphQLFormattedError, original: unknown, log: (err: unknown) => void) {
  const code = formatted.extensions?.code;
  if (isErrorCode(code) && code !== 'INTERNAL_SERVER_ERROR') {
    const { stacktrace: _drop, ...extensions } = formatted.extensions ?? {};
    return { ...formatted, extensions };
  }
  log(original);
  const out: GraphQLFormattedError = {
    message: 'Internal server error',
    locations: formatted.locations,
    path: formatted.path,
    extensions: { code: 'INTERNAL_SERVER_ERROR' },
  };
  return out;
}

/** Apollo Server's `formatError`, applying {@link formatOne} to every error of an HTTP response. */
export function createFormatError(log: (err: unknown) => void) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => formatOne(formatted, error, log);
}

/**
 * The same rule for results the server serializes itself (live events, replayed pages): takes executed errors or
 * their JSON, returns the JSON to send, or undefined when there are none.
 */
export function formatErrors(
  errors: ReadonlyArray<GraphQLError | GraphQLFormattedError> | undefined,
  log: (err: unknown) => void,
): GraphQLFormattedError[] | undefined {
  if (!errors?.length) return undefined;
  return errors.map((error) => {
    const formatted: GraphQLFormattedError =
      'toJSON' in error && typeof error.toJSON === 'function' ? error.toJSON() : error;
    return formatOne(formatted, error, log);
  });
}
