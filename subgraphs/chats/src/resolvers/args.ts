import { parseId } from '@chatgraph/ids';
import { badInput, userError } from '@chatgraph/errors';
import { hasBidiControl, hasVisibleCharacter, isWellFormedText } from '@chatgraph/service';

/**
 * Argument checks shared by the resolvers. Each failure is a BAD_USER_INPUT naming the argument (`extensions.field`),
 * raised before anything is read or written.
 */

/** Longest message text, in characters (code points). */
export const MAX_TEXT_LENGTH = 4000;
/** Longest chat title, in characters. */
export const MAX_TITLE_LENGTH = 200;
/** Most user ids in one createGroupChat/addMembers call. */
export const MAX_USERS_PER_CALL = 100;

/** The signed-in user's id, or UNAUTHENTICATED. */
export function requireViewer(viewerId: string | null): bigint {
  const id = viewerId === null ? null : parseId(viewerId);
  if (id === null) throw userError('UNAUTHENTICATED', 'Sign in to use chats.');
  return id;
}

/** A GraphQL ID argument as a 64-bit id. */
export function idArg(value: unknown, field: string): bigint {
  const id = parseId(value);
  if (id === null) throw badInput(field, `${field} is not a valid id (expected the decimal string of a chatgraph id).`);
  return id;
}

/** A list of ids, distinct, with between `min` and `max` entries. */
export function idListArg(values: unknown, field: string, min: number, max = MAX_USERS_PER_CALL): bigint[] {
  if (!Array.isArray(values)) throw badInput(field, `${field} must be a list of ids.`);
  const ids = [...new Set(values.map((v) => idArg(v, field)))];
  if (ids.length < min) throw badInput(field, `${field} must name at least ${min} user${min === 1 ? '' : 's'}.`);
  if (ids.length > max) throw badInput(field, `${field} may name at most ${max} users per call.`);
  return ids;
}

/** A message text: not blank, at most {@link MAX_TEXT_LENGTH} characters; kept as sent. */
export function textArg(value: unknown, field = 'text'): string {
  if (typeof value !== 'string' || value.trim().length === 0) throw badInput(field, `${field} must not be empty.`);
  // Postgres text cannot hold NUL; refuse it here instead of failing in the database.
  if (value.includes('\u0000')) throw badInput(field, `${field} must not contain NUL characters.`);
  if (!isWellFormedText(value))
    throw badInput(field, `${field} contains a lone surrogate (broken UTF-16); send well-formed text.`);
  const length = [...value].length;
  if (length > MAX_TEXT_LENGTH)
    throw badInput(field, `${field} is ${length} characters long; the limit is ${MAX_TEXT_LENGTH}.`);
  return value;
}

/** A client message id: 1..64 of A-Z a-z 0-9 _ -. */
export function clientMessageIdArg(value: unknown): string {
  if (typeof value !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(value))
    throw badInput('clientMessageId', 'clientMessageId must be 1 to 64 characters of A-Z, a-z, 0-9, _ and -.');
  return value;
}

/** A chat title, trimmed: 1..{@link MAX_TITLE_LENGTH} characters. */
export function titleArg(value: unknown): string {
  const title = typeof value === 'string' ? value.trim() : '';
  if (title.length === 0) throw badInput('title', 'title must not be empty.');
  if (title.includes('\u0000')) throw badInput('title', 'title must not contain NUL characters.');
  if (!isWellFormedText(title)) throw badInput('title', 'title contains a lone surrogate (broken UTF-16).');
  if (hasBidiControl(title)) throw badInput('title', 'title must not contain bidirectional override characters.');
  if (!hasVisibleCharacter(title)) throw badInput('title', 'title must contain a visible character.');
  if ([...title].length > MAX_TITLE_LENGTH)
    throw badInput('title', `title may be at most ${MAX_TITLE_LENGTH} characters.`);
  return title;
}

/** An optional integer in `min..max`, or `fallback` when absent. */
export function intArg(
  value: number | null | undefined,
  field: string,
  min: number,
  max: number,
  fallback: number,
): number {
  if (value === null || value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min || value > max)
    throw badInput(field, `${field} must be between ${min} and ${max} (got ${value}).`);
  return value;
}
