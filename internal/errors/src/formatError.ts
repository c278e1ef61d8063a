import type { GraphQLFormattedError } from 'graphql';
import { isErrorCode } from './codes';

/**
 * Apollo Server `formatError`: errors whose code is in the registry pass through; anything else (a bug, a driver
 * error) is reported as `INTERNAL_SERVER_ERROR` with a generic message and no stack trace, and handed to `log`.
 */
export function createFormatError(log: (err: unknown) => void) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const code = formatted.extensions?.code;
    if (isErrorCode(code) && code !== 'INTERNAL_SERVER_ERROR') {
      const { stacktrace: _drop, ...extensions } = formatted.extensions ?? {};
      return { ...formatted, extensions };
    }
    log(error);
    return {
      message: 'Internal server error',
      locations: formatted.locations,
      path: formatted.path,
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    };
  };
}
