/**
 * Sessions and refresh tokens over real Postgres and Redis: what signing in stores, rotation, reuse detection,
 * concurrent refreshes and expiry. The session clock is injected, so expiry and the reuse grace period are reached
 * without waiting; everything else (ids, tokens, hashes, locks) is real.
 */
import { createHash } from 'node:crypto';
import { decomposeId } from '@chatgraph/ids';
import { createLogger } from '@chatgraph/logging';
import { SessionSweeper } from '../src/jobs/SessionSweeper';
import { LOG_IN, SIGN_UP, startUsers, type AuthData, type StartedUsers } from './startUsers';
import { REFRESH, sessionOf, watchRevocations, type RevocationWatch } from './support/sessions';

const DAY = 24 * 3600_000;

describe('users subgraph: sessions and refresh tokens', () => {
  let users: StartedUsers;
  let revocations: RevocationWatch;
  let offset = 0;
  let counter = 0;

  beforeAll(async () => {
    users = await startUsers({}, { now: () => Date.now() + offset });
    revocations = await watchRevocations(users);
  });
  beforeEach(() => (offset = 0));
  afterAll(async () => {
    await revocations?.close();
    await users?.close();
  });

  const signUp = async (): Promise<AuthData> => {
    const res = await users.request<{ signUp: AuthData }>(SIGN_UP, {
      username: `sess_${counter++}`,
      password: 'correct horse battery',
      displayName: 'Sessions',
    });
    if (!res.data) throw new Error(JSON.stringify(res.errors));
    return res.data.signUp;
  };
  const refresh = (refreshToken: string) => users.request<{ refreshSession: AuthData }>(REFRESH, { refreshToken });
  const reasonOf = (res: { errors?: Array<{ extensions?: Record<string, unknown> }> }) => [
    res.errors?.[0]?.extensions?.code,
    res.errors?.[0]?.extensions?.reason,
  ];

  it('signing in starts a session: an access token naming it, and a refresh token stored only as a hash', async () => {
    const before = Date.now();
    const auth = await signUp();
    const { userId, sessionId } = await sessionOf(users, auth.token);
    expect(userId).toBe(auth.user.id);
    expect(auth.refreshToken).toMatch(new RegExp(`^crt_${sessionId}\\.[A-Za-z0-9_-]{43}$`));
    // The idle expiry (14 days) comes before the absolute one (30 days).
    const refreshExpires = Date.parse(auth.refreshExpiresAt);
    expect(refreshExpires).toBeGreaterThanOrEqual(before + 14 * DAY);
    expect(refreshExpires).toBeLessThanOrEqual(Date.now() + 14 * DAY);
    // The session lives on the user's logical shard.
    expect(decomposeId(BigInt(sessionId)).logicalShard).toBe(decomposeId(BigInt(userId)).logicalShard);

    const client = users.dbs.users.clientFor(BigInt(sessionId));
    const session = await client.session.findUniqueOrThrow({
      where: { id: BigInt(sessionId) },
      include: { refreshTokens: true },
    });
    expect(session).toMatchObject({ userId: BigInt(userId), generation: 1, revokedAt: null });
    expect(session.refreshTokens).toEqual([
      expect.objectContaining({
        generation: 1,
        tokenHash: createHash('sha256').update(auth.refreshToken).digest('base64url'),
        rotatedAt: null,
      }),
    ]);
    const secret = auth.refreshToken.split('.')[1]!;
    expect(JSON.stringify(session, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v))).not.toContain(secret);

    // logIn starts another session of the same user.
    const logIn = await users.request<{ logIn: AuthData }>(LOG_IN, {
      username: auth.user.username,
      password: 'correct horse battery',
    });
    const second = await sessionOf(users, logIn.data!.logIn.token);
    expect(second.userId).toBe(userId);
    expect(second.sessionId).not.toBe(sessionId);
  });

  it('refreshSession rotates: new tokens for the same session, and the refresh token given stops working', async () => {
    const auth = await signUp();
    const first = await refresh(auth.refreshToken);
    expect(first.errors).toBeUndefined();
    const next = first.data!.refreshSession;
    expect(next.user).toEqual(auth.user);
    expect(next.refreshToken).not.toBe(auth.refreshToken);
    expect((await sessionOf(users, next.token)).sessionId).toBe((await sessionOf(users, auth.token)).sessionId);

    // Seconds later, the old one is refused, without ending the session (a retry of the same client looks like this).
    expect(reasonOf(await refresh(auth.refreshToken))).toEqual(['UNAUTHENTICATED', 'refresh_token_rotated']);
    const again = await refresh(next.refreshToken);
    expect(again.errors).toBeUndefined();
    expect(again.data!.refreshSession.refreshToken).not.toBe(next.refreshToken);
  });

  it('a retired refresh token presented after the grace period ends the whole session, and the gateways are told', async () => {
    const auth = await signUp();
    const { userId, sessionId } = await sessionOf(users, auth.token);
    const current = (await refresh(auth.refreshToken)).data!.refreshSession;
    offset = 11_000; // past REFRESH_REUSE_GRACE_SECONDS (10)
    expect(reasonOf(await refresh(auth.refreshToken))).toEqual(['UNAUTHENTICATED', 'refresh_token_reused']);
    // The token that replaced it is dead too: whoever holds either copy is out.
    expect(reasonOf(await refresh(current.refreshToken))).toEqual(['UNAUTHENTICATED', 'session_revoked']);

    const revoked = { kind: 'session', userId, sessionId, until: expect.any(Number) };
    expect(revocations.messages).toContainEqual(revoked);
    expect(await revocations.stored()).toContainEqual(revoked);
    const { revokedReason } = await users.dbs.users
      .clientFor(BigInt(sessionId))
      .session.findUniqueOrThrow({ where: { id: BigInt(sessionId) } });
    expect(revokedReason).toBe('refresh_token_reused');
  });

  it('of concurrent refreshes with one token exactly one wins; the others are refused and the session goes on', async () => {
    const auth = await signUp();
    const results = await Promise.all(Array.from({ length: 8 }, () => refresh(auth.refreshToken)));
    const winners = results.filter((r) => r.data?.refreshSession);
    expect(winners).toHaveLength(1);
    for (const loser of results.filter((r) => !r.data?.refreshSession))
      expect(reasonOf(loser)).toEqual(['UNAUTHENTICATED', 'refresh_token_rotated']);
    const next = await refresh(winners[0]!.data!.refreshSession.refreshToken);
    expect(next.errors).toBeUndefined();
  });

  it('a refresh token expires after REFRESH_IDLE_DAYS without use, and the session after REFRESH_TTL_DAYS', async () => {
    const idle = await signUp();
    offset = 14 * DAY + 1000;
    expect(reasonOf(await refresh(idle.refreshToken))).toEqual(['UNAUTHENTICATED', 'session_expired']);

    offset = 0;
    const active = await signUp();
    const signedInAt = Date.now();
    let token = active.refreshToken;
    // Used every 10 days, the session never idles out, but it still ends 30 days after signing in.
    for (const day of [10, 20]) {
      offset = day * DAY;
      const res = await refresh(token);
      expect(res.errors).toBeUndefined();
      token = res.data!.refreshSession.refreshToken;
      const expires = Date.parse(res.data!.refreshSession.refreshExpiresAt);
      if (day === 20) expect(expires).toBeLessThanOrEqual(Date.now() + 30 * DAY);
      expect(expires).toBeGreaterThan(signedInAt + (day + 9) * DAY);
    }
    offset = 30 * DAY + 1000;
    expect(reasonOf(await refresh(token))).toEqual(['UNAUTHENTICATED', 'session_expired']);
  });

  it('the sweeper deletes a session, with its refresh token hashes, a day after its absolute expiry', async () => {
    const old = await signUp();
    const { sessionId } = await sessionOf(users, old.token);
    await refresh(old.refreshToken); // a second generation, so there is history to delete too
    const id = BigInt(sessionId);
    const client = users.dbs.users.clientFor(id);
    const rows = async () => ({
      sessions: await client.session.count({ where: { id } }),
      tokens: await client.sessionRefreshToken.count({ where: { sessionId: id } }),
    });
    const sweepAt = (ms: number) =>
      new SessionSweeper({ db: users.dbs.users, logger: createLogger('sweeper', 'silent'), now: () => ms }).runOnce();

    await sweepAt(Date.now() + 30 * DAY + DAY - 60_000);
    expect(await rows()).toEqual({ sessions: 1, tokens: 2 });
    await sweepAt(Date.now() + 30 * DAY + DAY + 60_000);
    expect(await rows()).toEqual({ sessions: 0, tokens: 0 });
    expect(reasonOf(await refresh(old.refreshToken))).toEqual(['UNAUTHENTICATED', 'refresh_token_invalid']);
  });

  it('refuses what is not a refresh token of a live session, without ending any session', async () => {
    const auth = await signUp();
    const { sessionId } = await sessionOf(users, auth.token);
    const forged = `crt_${sessionId}.${'A'.repeat(43)}`; // a real session, a guessed secret
    for (const token of ['', 'garbage', forged, `crt_123.${'A'.repeat(43)}`, `crt_${sessionId}.x`, 'x'.repeat(5000)])
      expect(reasonOf(await refresh(token))).toEqual(['UNAUTHENTICATED', 'refresh_token_invalid']);
    // Guessing cannot be used to end someone's session.
    expect((await refresh(auth.refreshToken)).errors).toBeUndefined();
  });
});
