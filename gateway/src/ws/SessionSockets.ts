import type { RevocationList, TokenSession } from '../auth/RevocationList';

/** One accepted connection: the token it was opened with and what to close. */
export interface TrackedConnection<T> {
  readonly token: TokenSession;
  readonly connection: T;
}

/**
 * The accepted live connections of each user, so that a revocation closes, at once, exactly the connections whose
 * token it revokes (one session's, or every session a user started before an instant), without scanning every socket.
 * Held per connection for its whole life, so it is kept small: a user's one connection is kept as itself, a Set only
 * from the second on, and nothing per connection is a closure (`close` is shared).
 */
export class SessionSockets<T> {
  private readonly byUser = new Map<string, TrackedConnection<T> | Set<TrackedConnection<T>>>();

  constructor(
    private readonly revocations: RevocationList,
    /** Ends a connection whose token was revoked. */
    private readonly close: (connection: T, token: TokenSession) => void,
  ) {
    revocations.onRevoked((revocation) => this.closeRevoked(revocation.userId));
  }

  /** Remembers a connection opened with `token`; returns the entry {@link forget} takes when it closes. */
  track(token: TokenSession, connection: T): TrackedConnection<T> {
    const entry: TrackedConnection<T> = { token, connection };
    const current = this.byUser.get(token.userId);
    if (current === undefined) this.byUser.set(token.userId, entry);
    else if (current instanceof Set) current.add(entry);
    else this.byUser.set(token.userId, new Set([current, entry]));
    return entry;
  }

  /** Forgets a closed connection. */
  forget(entry: TrackedConnection<T>): void {
    const userId = entry.token.userId;
    const current = this.byUser.get(userId);
    if (current === entry) this.byUser.delete(userId);
    else if (current instanceof Set && current.delete(entry) && current.size === 0) this.byUser.delete(userId);
  }

  /** Connections tracked for `userId` now. */
  connectionsOf(userId: string): number {
    const current = this.byUser.get(userId);
    return current === undefined ? 0 : current instanceof Set ? current.size : 1;
  }

  private closeRevoked(userId: string): void {
    const current = this.byUser.get(userId);
    const entries = current === undefined ? [] : current instanceof Set ? [...current] : [current];
    for (const entry of entries) if (this.revocations.isRevoked(entry.token)) this.close(entry.connection, entry.token);
  }
}
