import { badInput, userError } from '@chatgraph/errors';
import { parseId } from '@chatgraph/ids';

/**
 * Argument checks of the notifications resolvers: each failure is a BAD_USER_INPUT naming the argument, raised before
 * anything is read or written.
 */

/** Most ids in one `markNotificationsRead`. */
export const MAX_IDS_PER_CALL = 500;
/** Longest push endpoint URL accepted. */
export const MAX_ENDPOINT_LENGTH = 2048;

/** The signed-in user's id, or UNAUTHENTICATED. */
export function requireViewer(viewerId: string | null): bigint {
  const id = viewerId === null ? null : parseId(viewerId);
  if (id === null) throw userError('UNAUTHENTICATED', 'Sign in to read notifications.');
  return id;
}

/** A GraphQL ID argument as a 64-bit id. */
export function idArg(value: unknown, field: string): bigint {
  const id = parseId(value);
  if (id === null) throw badInput(field, `${field} is not a valid id (expected the decimal string of a chatgraph id).`);
  return id;
}

/** An optional integer in `min..max`, or `fallback` when absent. */
export function intArg(value: number | null | undefined, field: string, min: number, max: number, fallback: number) {
  if (value === null || value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min || value > max)
    throw badInput(field, `${field} must be between ${min} and ${max} (got ${value}).`);
  return value;
}

/** `ids` or `all: true`, exactly one of them. */
export function readSelectionArg(ids: readonly string[] | null | undefined, all: boolean | null | undefined) {
  if (all === true) {
    if (ids != null) throw badInput('ids', 'Pass either ids or all: true, not both.');
    return 'all' as const;
  }
  if (ids == null) throw badInput('ids', 'Pass the ids to mark read, or all: true.');
  if (ids.length === 0 || ids.length > MAX_IDS_PER_CALL)
    throw badInput('ids', `ids must name 1 to ${MAX_IDS_PER_CALL} notifications (got ${ids.length}).`);
  return [...new Set(ids.map((id) => idArg(id, 'ids')))];
}

function base64UrlBytes(value: unknown, field: string, length: number): string {
  if (typeof value !== 'string' || !/^[A-Za-z0-9_-]+={0,2}$/.test(value))
    throw badInput(field, `${field} must be base64url.`);
  const bytes = Buffer.from(value, 'base64url');
  if (bytes.length !== length) throw badInput(field, `${field} must encode ${length} bytes (got ${bytes.length}).`);
  return bytes.toString('base64url');
}

/** A push subscription as registered: an https endpoint, a P-256 public key and a 16-byte auth secret. */
export function pushSubscriptionArgs(args: { endpoint: unknown; p256dh: unknown; auth: unknown }) {
  const endpoint = endpointArg(args.endpoint);
  const p256dh = base64UrlBytes(args.p256dh, 'p256dh', 65);
  if (Buffer.from(p256dh, 'base64url')[0] !== 0x04)
    throw badInput('p256dh', 'p256dh must be an uncompressed P-256 point (starting with 0x04).');
  return { endpoint, p256dh, auth: base64UrlBytes(args.auth, 'auth', 16) };
}

/** A push endpoint: an https URL (push services speak only https; anything else is refused before it is stored). */
export function endpointArg(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_ENDPOINT_LENGTH)
    throw badInput('endpoint', `endpoint must be a URL of 1 to ${MAX_ENDPOINT_LENGTH} characters.`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw badInput('endpoint', 'endpoint is not a URL.');
  }
  if (url.protocol !== 'https:') throw badInput('endpoint', 'endpoint must be an https URL.');
  if (url.username || url.password) throw badInput('endpoint', 'endpoint must not carry credentials.');
  return value;
}
