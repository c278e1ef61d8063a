/**
 * What an API token may do. Session (JWT) users have every scope; an API token has the scopes it was created with,
 * and the gateway refuses any operation whose fields need another (see the gateway's scope table).
 */
export const TOKEN_SCOPES = [
  'CHATS_READ',
  'MESSAGES_WRITE',
  'CHATS_MANAGE',
  'WEBHOOKS_MANAGE',
  'PROFILE_WRITE',
] as const;

/** One scope of {@link TOKEN_SCOPES}. */
export type TokenScope = (typeof TOKEN_SCOPES)[number];

/** True when `value` names a scope. */
export function isTokenScope(value: unknown): value is TokenScope {
  return typeof value === 'string' && (TOKEN_SCOPES as readonly string[]).includes(value);
}
