import { GraphQLError } from 'graphql';
import type { ErrorCode } from './codes';

/**
 * A `GraphQLError` a client caused and can act on; `extensions.code` comes from the registry in `codes.ts`.
 * Extra extensions (e.g. `field`, `retryAfterMs`) are merged in.
 */
export function userError(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { ...extensions, code } });
}

/** `BAD_USER_INPUT` for one argument, naming it in `extensions.field`. */
export function badInput(field: string, message: string): GraphQLError {
  return userError('BAD_USER_INPUT', message, { field });
}
