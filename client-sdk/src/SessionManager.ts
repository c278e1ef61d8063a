import { ChatGraphError } from './ChatGraphError.ts';
import type { AuthPayload } from './types.ts';

/**
 * A signed-in session as the SDK holds it: what `signUp`, `logIn` and `refreshSession` return (access token and its
 * expiry, refresh token and its expiry, the account).
 */
export type Session = AuthPayload;

/** The `session` option of `createChatClient`: the SDK signs in, refreshes and signs out by itself. */
export interface SessionOptions {
  /**
   * A refresh token kept from an earlier run (see `onSession`): the client starts signed in, and gets its first access
   * token by refreshing this one. Null or absent: the client starts signed out (call `logIn` or `signUp`).
   */
  refreshToken?: string | null;
  /**
   * Called whenever the session changes: with the new session after `signUp`, `logIn` and every refresh (store its
   * `refreshToken` where your app keeps secrets: it replaces the previous one, which stops working), and with null when
   * the session ended (`logOut`, `logOutEverywhere`, `deleteAccount`, or the server refused to refresh it: sign in
   * again).
   */
  onSession?: (session: Session | null) => void;
  /** Refresh this long before the access token expires, at most a quarter of its lifetime. @default 60000 */
  refreshAheadMs?: number;
  /** Injected clock for tests. @default Date.now */
  now?: () => number;
}

/** Gets a new session for a refresh token (the `refreshSession` mutation, sent without an access token). */
export type RefreshCall = (refreshToken: string) => Promise<Session>;

/**
 * Holds a session and keeps its access token fresh: {@link getToken} refreshes shortly before the token expires (one
 * refresh at a time, shared by every caller), and {@link renew} refreshes once when the server refused a token
 * (expired early, or revoked). A refresh the server refuses (`UNAUTHENTICATED`) ends the session: `onSession(null)`,
 * and every later request fails with `UNAUTHENTICATED` until the app signs in again.
 */
export class SessionManager {
  private session: Session | null = null;
  private refreshToken: string | null;
  /** When the access token expires, on this device's clock. */
  private deadline = 0;
  private ahead = 0;
  private inflight: Promise<void> | undefined;
  private readonly now: () => number;

  constructor(
    private readonly refresh: RefreshCall,
    private readonly options: SessionOptions = {},
  ) {
    this.refreshToken = options.refreshToken ?? null;
    this.now = options.now ?? Date.now;
  }

  /** The current session; null while signed out, and until the first refresh of a stored refresh token. */
  get current(): Session | null {
    return this.session;
  }

  /** True while there is a session (a refresh token to use). */
  get signedIn(): boolean {
    return this.refreshToken !== null;
  }

  /** Takes a session the server just issued (signUp, logIn, refreshSession) and tells `onSession`. */
  adopt(session: Session): void {
    const received = this.now();
    const lifetime = accessTokenLifetimeMs(session, received);
    this.session = session;
    this.refreshToken = session.refreshToken;
    this.deadline = received + lifetime;
    this.ahead = Math.min(this.options.refreshAheadMs ?? 60_000, lifetime / 4);
    this.options.onSession?.(session);
  }

  /** Forgets the session (signed out) and tells `onSession`. */
  end(): void {
    const had = this.refreshToken !== null;
    this.session = null;
    this.refreshToken = null;
    if (had) this.options.onSession?.(null);
  }

  /**
   * The access token to send: null when signed out; refreshed first when it expires soon. Throws `UNAUTHENTICATED`
   * when the session ended, and a transient error (`NETWORK_ERROR`, `SERVICE_UNAVAILABLE`) when a refresh that was
   * needed could not be made.
   */
  async getToken(): Promise<string | null> {
    if (this.refreshToken === null) return null;
    const now = this.now();
    if (this.session && now < this.deadline - this.ahead) return this.session.token;
    try {
      await this.refreshNow();
    } catch (err) {
      // Refreshing ahead of time failed for a moment: the token still works until its deadline.
      if (this.session && now < this.deadline && isTransient(err)) return this.session.token;
      throw err;
    }
    return this.session ? this.session.token : null;
  }

  /**
   * The server refused `rejected` (HTTP 401, or a live connection closed with 4401/4410): refreshes once, unless
   * another caller already did. Resolves true when there is a new token to try, false when signed out; throws like
   * {@link getToken}.
   */
  async renew(rejected: string): Promise<boolean> {
    if (this.refreshToken === null) return false;
    if (this.session && this.session.token !== rejected) return true;
    await this.refreshNow();
    return this.session !== null;
  }

  /** Refreshes now (one refresh at a time); resolves with the new session. */
  async refreshSession(): Promise<Session> {
    if (this.refreshToken === null) throw new ChatGraphError('UNAUTHENTICATED', 'Not signed in: sign in first.');
    await this.refreshNow();
    if (!this.session) throw new ChatGraphError('UNAUTHENTICATED', 'Signed out while refreshing; sign in again.');
    return this.session;
  }

  private refreshNow(): Promise<void> {
    this.inflight ??= (async () => {
      const presented = this.refreshToken;
      if (presented === null) throw new ChatGraphError('UNAUTHENTICATED', 'Not signed in: sign in first.');
      try {
        const session = await this.refresh(presented);
        // Signed out or in again meanwhile: that newer state wins.
        if (this.refreshToken === presented) this.adopt(session);
      } catch (err) {
        if (!(err instanceof ChatGraphError) || err.code !== 'UNAUTHENTICATED') throw err;
        if (this.refreshToken === presented) this.end();
        throw new ChatGraphError('UNAUTHENTICATED', `The session ended (${err.message}); sign in again.`, {
          errors: err.errors,
          status: err.status,
          cause: err,
        });
      } finally {
        this.inflight = undefined;
      }
    })();
    return this.inflight;
  }
}

function isTransient(err: unknown): boolean {
  return err instanceof ChatGraphError && err.transient;
}

/**
 * How long an access token lives, measured on this device: the token's own `exp - iat` (a JWT), so a device clock
 * that is off does not matter, less one second for `iat` being rounded down; from `expiresAt` if it cannot be read.
 */
function accessTokenLifetimeMs(session: Session, received: number): number {
  try {
    const part = session.token.split('.')[1] ?? '';
    const claims = JSON.parse(atob(part.replace(/-/g, '+').replace(/_/g, '/'))) as { iat?: unknown; exp?: unknown };
    if (typeof claims.iat === 'number' && typeof claims.exp === 'number' && claims.exp > claims.iat)
      return Math.max(0, (claims.exp - claims.iat) * 1000 - 1000);
  } catch {
    // not a JWT we can read: fall back to the server's expiresAt
  }
  return Math.max(0, Date.parse(session.expiresAt) - received);
}
