/**
 * The Redis channel on which the users service announces, after the commit, that a user blocked or unblocked someone,
 * so that the notifiers' block caches forget that user's blocks. One channel per deployment namespace
 * (`DB_NAME_PREFIX`: stacks that share a Redis do not hear each other).
 */
export const blockChangesChannel = (namespace: string): string => `${namespace}:block-changes`;

/** What is published on {@link blockChangesChannel}: the user whose blocks changed (the blocker). */
export interface BlockChange {
  userId: string;
}

/** Reads a message of {@link blockChangesChannel}; null for anything else. */
export function parseBlockChange(message: string): BlockChange | null {
  try {
    const value = JSON.parse(message) as Partial<BlockChange> | null;
    return value && typeof value.userId === 'string' && /^\d{1,20}$/.test(value.userId)
      ? { userId: value.userId }
      : null;
  } catch {
    return null;
  }
}
