/**
 * Ending sessions over real Postgres and Redis: logOut, logOutEverywhere and deleteAccount revoke in the database
 * (refresh tokens stop) and write the revocation where the gateways read it (access tokens stop); with Redis down the
 * caller is told to retry, and the retry completes it.
 */
import { decomposeId } from '@chatgraph/ids';
import { RedisServer, waitUntil } from '@chatgraph/testing';
import { LOG_IN, SIGN_UP, startUsers, type AuthData, type StartedUsers } from './startUsers';
import { REFRESH, sessionOf, watchRevocations, type RevocationWatch } from './support/sessions';

const LOG_OUT = 'mutation { logOut }';
const LOG_OUT_EVERYWHERE = 'mutation { logOutEverywhere }';
const DELETE_ACCOUNT = 'mutation($p: String!) { deleteAccount(password: $p) }';

let counter = 0;
const codeOf = (res: { errors?: Array<{ extensions?: Record<string, unknown> }> }) => res.errors?.[0]?.extensions?.code;

async function signUp(users: StartedUsers, username = `out_${process.pid}_${counter++}`): Promise<AuthData> {
  const res = await users.request<{ signUp: AuthData }>(SIGN_UP, {
    username,
    password: 'correct horse battery',
    displayName: 'Leaving Soon',
  });
  if (!res.data) throw new Error(JSON.stringify(res.errors));
  return res.data.signUp;
}

/** Calls as the gateway would with this access token: the identity and the session of the token. */
async function asHolder(users: StartedUsers, token: string, query: string, variables: Record<string, unknown> = {}) {
  const { userId, sessionId } = await sessionOf(users, token);
  return users.request<Record<string, unknown>>(query, variables, userId, { sessionId });
}

describe('users subgraph: ending sessions', () => {
  let users: StartedUsers;
  let revocations: RevocationWatch;

  beforeAll(async () => {
    users = await startUsers();
    revocations = await watchRevocations(users);
  });
  afterAll(async () => {
    await revocations?.close();
    await users?.close();
  });

  const logIn = async (username: string) =>
    (await users.request<{ logIn: AuthData }>(LOG_IN, { username, password: 'correct horse battery' })).data!.logIn;

  it('logOut ends the session of the access token, and only that one; repeating it is fine', async () => {
    const phone = await signUp(users);
    const laptop = await logIn(phone.user.username);
    const { userId, sessionId } = await sessionOf(users, phone.token);
    const before = Date.now();

    const res = await asHolder(users, phone.token, LOG_OUT);
    expect(res).toMatchObject({ data: { logOut: true } });
    expect((await refresh(users, phone.refreshToken)).errors![0]!.extensions).toMatchObject({
      reason: 'session_revoked',
    });
    expect((await refresh(users, laptop.refreshToken)).errors).toBeUndefined();

    // The gateways hear of it, and find it in Redis for as long as an access token of the session can live.
    const revocation = { kind: 'session', userId, sessionId, until: expect.any(Number) };
    expect(revocations.messages).toContainEqual(revocation);
    const stored = (await revocations.stored()).find((r) => r.kind === 'session' && r.sessionId === sessionId)!;
    expect(stored).toEqual(revocation);
    expect(stored.until).toBeGreaterThanOrEqual(before + users.config.JWT_TTL_SECONDS * 1000);

    expect(await asHolder(users, phone.token, LOG_OUT)).toMatchObject({ data: { logOut: true } });
  });

  it("logOut needs a session of the viewer's own: another user's session id changes nothing", async () => {
    const alice = await signUp(users);
    const mallory = await signUp(users);
    const { sessionId } = await sessionOf(users, alice.token);
    const forged = await users.request(LOG_OUT, {}, mallory.user.id, { sessionId });
    expect(codeOf(forged)).toBe('UNAUTHENTICATED');
    const withoutSession = await users.request(LOG_OUT, {}, mallory.user.id);
    expect(codeOf(withoutSession)).toBe('UNAUTHENTICATED');
    expect(codeOf(await users.request(LOG_OUT))).toBe('UNAUTHENTICATED');
    expect((await refresh(users, alice.refreshToken)).errors).toBeUndefined();
  });

  it('logOutEverywhere ends every session of the user; a sign-in afterwards starts one that works', async () => {
    const first = await signUp(users);
    const second = await logIn(first.user.username);
    const other = await signUp(users);

    expect(await asHolder(users, second.token, LOG_OUT_EVERYWHERE)).toMatchObject({ data: { logOutEverywhere: true } });
    for (const { refreshToken } of [first, second])
      expect((await refresh(users, refreshToken)).errors![0]!.extensions).toMatchObject({ reason: 'session_revoked' });
    expect((await refresh(users, other.refreshToken)).errors).toBeUndefined();

    // Every session started before the instant the gateways are given; the next one after it.
    const revocation = revocations.messages.find((r) => r.kind === 'user' && r.userId === first.user.id);
    if (revocation?.kind !== 'user') throw new Error('no user revocation was published');
    for (const { token } of [first, second])
      expect(decomposeId(BigInt((await sessionOf(users, token)).sessionId)).timeMs).toBeLessThan(revocation.notBefore);
    const again = await logIn(first.user.username);
    const started = decomposeId(BigInt((await sessionOf(users, again.token)).sessionId)).timeMs;
    expect(started).toBeGreaterThanOrEqual(revocation.notBefore);
    expect((await refresh(users, again.refreshToken)).errors).toBeUndefined();
  });

  it('deleteAccount checks the password, ends every session, and leaves a tombstone nobody can sign in to', async () => {
    const auth = await signUp(users);
    const { username } = auth.user;
    const wrong = await asHolder(users, auth.token, DELETE_ACCOUNT, { p: 'not the password' });
    expect(codeOf(wrong)).toBe('INVALID_CREDENTIALS');
    expect((await refresh(users, auth.refreshToken)).errors).toBeUndefined();

    const current = (await logIn(username)).token;
    expect(await asHolder(users, current, DELETE_ACCOUNT, { p: 'correct horse battery' })).toMatchObject({
      data: { deleteAccount: true },
    });
    expect(revocations.messages).toContainEqual(expect.objectContaining({ kind: 'user', userId: auth.user.id }));
    const signIn = await users.request(LOG_IN, { username, password: 'correct horse battery' });
    expect(codeOf(signIn)).toBe('INVALID_CREDENTIALS');
    // Messages keep an author: the account reads as "Deleted user", and its username is never given to anyone else.
    const read = await users.request(`{ user(id: "${auth.user.id}") { id displayName } }`);
    expect(read.data).toEqual({ user: { id: auth.user.id, displayName: 'Deleted user' } });
    expect(codeOf(await users.request(SIGN_UP, { username, password: 'another password', displayName: 'X' }))).toBe(
      'USERNAME_TAKEN',
    );
    // A retry (its answer was lost) is answered the same way.
    expect(await asHolder(users, current, DELETE_ACCOUNT, { p: 'correct horse battery' })).toMatchObject({
      data: { deleteAccount: true },
    });
  });
});

describe('users subgraph: ending sessions while Redis is down', () => {
  let redis: RedisServer;
  let users: StartedUsers;

  beforeAll(async () => {
    redis = await RedisServer.start();
    users = await startUsers({ REDIS_URL: redis.url });
  });
  afterAll(async () => {
    await users?.close();
    await redis?.close();
  });

  it('logOut answers SERVICE_UNAVAILABLE (the gateways could not be told); repeated once Redis is back, it works', async () => {
    const auth = await signUp(users);
    await redis.stop();
    const failed = await asHolder(users, auth.token, LOG_OUT);
    expect(codeOf(failed)).toBe('SERVICE_UNAVAILABLE');
    // The database part is done: the refresh token no longer works.
    expect((await refresh(users, auth.refreshToken)).errors![0]!.extensions).toMatchObject({
      reason: 'session_revoked',
    });
    await redis.restart();
    const watch = await watchRevocations(users);
    try {
      let retried: Awaited<ReturnType<typeof asHolder>> | undefined;
      await waitUntil('logOut goes through again', async () => {
        retried = await asHolder(users, auth.token, LOG_OUT);
        return codeOf(retried) !== 'SERVICE_UNAVAILABLE';
      });
      expect(retried).toMatchObject({ data: { logOut: true } });
      const { sessionId } = await sessionOf(users, auth.token);
      expect(await watch.stored()).toContainEqual(expect.objectContaining({ kind: 'session', sessionId }));
    } finally {
      await watch.close();
    }
  });
});

function refresh(users: StartedUsers, refreshToken: string) {
  return users.request<{ refreshSession: AuthData }>(REFRESH, { refreshToken });
}
