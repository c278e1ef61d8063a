import type { GraphQLError, GraphQLFormattedError } from 'graphql';
import { isErrorCode } from '@chatgraph/errors';

/**
 * Formats errors of an executed event or replay the way HTTP responses are formatted: registry codes pass through,
 * anything else becomes `INTERNAL_SERVER_ERROR` without details (handed to `log`).
 */
export function formatErrors(
  errors: ReadonlyArray<GraphQLError | GraphQLFormattedError> | undefined,
  log: (err: unknown) => void,
): GraphQLFormattedError[] | undefined {
  if (!errors?.length) return undefined;
  return errors.map((error) => {
    const formatted: GraphQLFormattedError =
      'toJSON' in error && typeof error.toJSON === 'function' ? error.toJSON() : error;
    const code = formatted.extensions?.code;
    if (isErrorCode(code) && code !== 'INTERNAL_SERVER_ERROR') {
      const { stacktrace: _drop, ...extensions } = formatted.extensions ?? {};
      return { message: formatted.message, path: formatted.path, extensions };
    }
    log(error);
    return { message: 'Internal server error', path: formatted.path, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
  });
}
