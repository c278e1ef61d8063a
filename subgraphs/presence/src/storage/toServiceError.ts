import { GraphQLError } from 'graphql';
import type { ErrorCode } from '@chatgraph/errors';

// Replies with which Redis says "not now" rather than "your command is wrong".
const TRANSIENT_REPLY = /^(LOADING|READONLY|MASTERDOWN|BUSY|TRYAGAIN|CLUSTERDOWN|NOREPLICAS|OOM)\b/;

/**
 * Maps a failed Redis call to what the client should see: connection problems (down, reconnecting, timed out,
 * loading, out of memory) become `SERVICE_UNAVAILABLE`; anything else (a script bug) is passed on unchanged and
 * reported as an internal error.
 */
export function toServiceError(err: unknown): unknown {
  if (err instanceof GraphQLError) return err;
  const isReply = err instanceof Error && err.name === 'ReplyError';
  if (isReply && !TRANSIENT_REPLY.test(err.message)) return err;
  // Built like userError(), plus the cause, kept for the server's logs (clients see the message and the code only).
  const code: ErrorCode = 'SERVICE_UNAVAILABLE';
  return new GraphQLError('Presence is unavailable for a moment (its store cannot be reached); retry shortly.', {
    extensions: { code },
    originalError: err instanceof Error ? err : undefined,
  });
}
