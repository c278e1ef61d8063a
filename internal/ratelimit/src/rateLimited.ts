import type { GraphQLError } from 'graphql';
import { userError } from '@chatgraph/errors';

/** `RATE_LIMITED` for `what` ("messages in this chat"), with `extensions.retryAfterMs`. */
export function rateLimited(what: string, retryAfterMs: number): GraphQLError {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  return userError('RATE_LIMITED', `Too many ${what}; try again in ${seconds} s.`, { retryAfterMs });
}
