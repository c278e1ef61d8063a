import type { RevocationList, TokenSession } from '../auth/RevocationList';

interface Tracked {
  token: TokenSession;
  close(): void;
}

/**
 * The accepted live connections of each user, so that a revocation closes, at once, exactly the connections whose
 * token it revokes (one session's, or every session a user started before an instant), without scanning every socket.
 */
export class SessionSockets {
  private readonly byUser = new Map<string, Set<Tracked>>();

  constructor(private readonly revocations: RevocationList) {
    revocations.onRevoked((revocation) => this.closeRevoked(revocation.userId));
  }

  /** Remembers a connection opened with `token`; `close` ends it. Returns the function that forgets it. */
  track(token: TokenSession, close: () => void): () => void {
    const entry: Tracked = { token, close };
    let set = this.byUser.get(token.userId);
    if (!set) {
      set = new Set();
      this.byUser.set(token.userId, set);
    }
    set.add(entry);
    return () => {
      const current = this.byUser.get(token.userId);
      if (!current?.delete(entry) || current.size > 0) return;
      this.byUser.delete(token.userId);
    };
  }

  private closeRevoked(userId: string): void {
    for (const entry of [...(this.byUser.get(userId) ?? [])])
      if (this.revocations.isRevoked(entry.token)) entry.close();
  }
}
