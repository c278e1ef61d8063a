import { parseId } from '@chatgraph/ids';
import { badInput } from '@chatgraph/errors';

/** Most users one `presenceChanged` subscription may watch. */
export const MAX_WATCHED_USERS = 500;

/**
 * Checks a list of user ids given as argument `field`: 1 to {@link MAX_WATCHED_USERS} well-formed ids, otherwise
 * `BAD_USER_INPUT` naming the argument (and the first bad id). Duplicates are dropped.
 */
export function parseUserIds(value: readonly unknown[], field: string): string[] {
  if (value.length === 0) throw badInput(field, `${field} must name at least one user.`);
  if (value.length > MAX_WATCHED_USERS)
    throw badInput(field, `${field} may name at most ${MAX_WATCHED_USERS} users (got ${value.length}).`);
  const ids = new Set<string>();
  for (const [index, id] of value.entries()) {
    if (typeof id !== 'string' || parseId(id) === null)
      throw badInput(field, `${field}[${index}] is not a valid user id: ${JSON.stringify(id)}.`);
    ids.add(id);
  }
  return [...ids];
}
