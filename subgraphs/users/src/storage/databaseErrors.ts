import { isDatabaseUnavailable, UsersPrisma } from '@chatgraph/db';
import { userError } from '@chatgraph/errors';

/** True for a unique-constraint (primary key) violation. */
export function isUniqueViolation(err: unknown): boolean {
  return err instanceof UsersPrisma.PrismaClientKnownRequestError && err.code === 'P2002';
}

/** True when an update or delete found no row. */
export function isRecordNotFound(err: unknown): boolean {
  return err instanceof UsersPrisma.PrismaClientKnownRequestError && err.code === 'P2025';
}

/**
 * Runs a database call; an outage becomes `SERVICE_UNAVAILABLE` (a client can retry; nothing was written, since a
 * failed transaction rolls back) instead of a masked internal error. Other errors pass through unchanged.
 */
export async function withDatabase<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (isDatabaseUnavailable(err))
      throw userError('SERVICE_UNAVAILABLE', 'The user database is not reachable right now; try again in a moment.');
    throw err;
  }
}
