import { ChatGraphError } from '../src/ChatGraphError.ts';
import { SessionManager, type Session } from '../src/SessionManager.ts';

const T0 = Date.parse('2026-05-01T12:00:00Z');
let issued = 0;

/** A session whose access token is a JWT-shaped token living `ttlSeconds` (only its claims are read, never checked). */
function session(ttlSeconds = 60, at = T0): Session {
  const iat = Math.floor(at / 1000);
  const claims = Buffer.from(JSON.stringify({ sub: '1', sid: '2', iat, exp: iat + ttlSeconds })).toString('base64url');
  const n = issued++;
  return {
    token: `eyJhbGciOiJIUzI1NiJ9.${claims}.sig${n}`,
    expiresAt: new Date((iat + ttlSeconds) * 1000).toISOString(),
    refreshToken: `crt_2.refresh${n}`,
    refreshExpiresAt: new Date(at + 14 * 86400_000).toISOString(),
    user: { id: '1', username: 'ann', displayName: 'Ann', createdAt: '2026-01-01T00:00:00.000Z', isBot: false },
  };
}

const unauthenticated = () => new ChatGraphError('UNAUTHENTICATED', 'The refresh token is not valid; sign in again.');

describe('SessionManager', () => {
  let now = T0;
  const clock = () => now;
  beforeEach(() => (now = T0));

  it('is signed out without a refresh token: no token, no refresh', async () => {
    const refresh = jest.fn<Promise<Session>, [string]>();
    const sessions = new SessionManager(refresh, { now: clock });
    expect(await sessions.getToken()).toBeNull();
    expect(sessions.signedIn).toBe(false);
    expect(refresh).not.toHaveBeenCalled();
  });

  it('starts from a stored refresh token: the first token comes from refreshing it, and onSession hears of it', async () => {
    const next = session();
    const refresh = jest.fn(async () => next);
    const seen: Array<Session | null> = [];
    const sessions = new SessionManager(refresh, {
      refreshToken: 'crt_2.stored',
      onSession: (s) => seen.push(s),
      now: clock,
    });
    expect(sessions.signedIn).toBe(true);
    expect(await sessions.getToken()).toBe(next.token);
    expect(refresh).toHaveBeenCalledWith('crt_2.stored');
    expect(seen).toEqual([next]);
  });

  it('refreshes shortly before the token expires (by its own lifetime), once for every caller waiting', async () => {
    const first = session(60);
    const second = session(60);
    const refresh = jest.fn(async () => second);
    const sessions = new SessionManager(refresh, { now: clock });
    sessions.adopt(first);
    // 60 s token: counted as 59 s (iat is rounded down); refreshed in its last quarter (15 s).
    now = T0 + 43_000;
    expect(await sessions.getToken()).toBe(first.token);
    now = T0 + 45_000;
    const tokens = await Promise.all([sessions.getToken(), sessions.getToken(), sessions.getToken()]);
    expect(tokens).toEqual([second.token, second.token, second.token]);
    expect(refresh).toHaveBeenCalledTimes(1);
    expect(refresh).toHaveBeenCalledWith(first.refreshToken);
  });

  it("uses the token's lifetime, not this device's clock: a clock an hour off changes nothing", async () => {
    const refresh = jest.fn(async () => session());
    const sessions = new SessionManager(refresh, { now: clock });
    now = T0 + 3600_000; // this device is an hour ahead of the server
    sessions.adopt(session(60, T0));
    expect(await sessions.getToken()).not.toBeNull();
    expect(refresh).not.toHaveBeenCalled();
  });

  it('a refused refresh ends the session: onSession(null), UNAUTHENTICATED, then signed out', async () => {
    const seen: Array<Session | null> = [];
    const sessions = new SessionManager(
      async () => {
        throw unauthenticated();
      },
      { onSession: (s) => seen.push(s), now: clock },
    );
    const first = session(60);
    sessions.adopt(first);
    now = T0 + 60_000;
    await expect(sessions.getToken()).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(seen).toEqual([first, null]);
    expect(sessions.signedIn).toBe(false);
    expect(await sessions.getToken()).toBeNull();
  });

  it('a refresh that fails for a moment keeps the session: the token is used while it lasts, then the error shows', async () => {
    let fail = true;
    const later = session(60);
    const sessions = new SessionManager(
      async () => {
        if (fail) throw new ChatGraphError('NETWORK_ERROR', 'offline');
        return later;
      },
      { now: clock },
    );
    const first = session(60);
    sessions.adopt(first);
    now = T0 + 50_000;
    expect(await sessions.getToken()).toBe(first.token);
    now = T0 + 59_500;
    await expect(sessions.getToken()).rejects.toMatchObject({ code: 'NETWORK_ERROR' });
    expect(sessions.signedIn).toBe(true);
    fail = false;
    expect(await sessions.getToken()).toBe(later.token);
  });

  it('renew refreshes when the refused token is the current one, and not when another caller already did', async () => {
    const first = session(60);
    const second = session(60);
    const refresh = jest.fn(async () => second);
    const sessions = new SessionManager(refresh, { now: clock });
    sessions.adopt(first);
    expect(await sessions.renew(first.token)).toBe(true);
    expect(await sessions.renew(first.token)).toBe(true);
    expect(refresh).toHaveBeenCalledTimes(1);
    expect(await sessions.getToken()).toBe(second.token);
  });
});
