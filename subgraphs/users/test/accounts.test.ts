import { tokenServiceFromConfig } from '@chatgraph/auth';
import { createLogger } from '@chatgraph/logging';
import { subgraphRequester } from '@chatgraph/testing';
import { createUsersServer } from '../src/server';
import { PasswordHasher } from '../src/security/PasswordHasher';
import { LOG_IN, SIGN_UP, startUsers, type AuthData, type StartedUsers } from './startUsers';

describe('users subgraph: accounts', () => {
  let users: StartedUsers;
  beforeAll(async () => {
    users = await startUsers();
  });
  afterAll(() => users.close());

  it('signUp -> logIn -> me round trip, with tokens that verify to the new user', async () => {
    const signUp = await users.request<{ signUp: AuthData }>(SIGN_UP, {
      username: 'Ada_Lovelace',
      password: 'correct horse battery',
      displayName: '  Ada Lovelace  ',
    });
    expect(signUp.errors).toBeUndefined();
    const created = signUp.data!.signUp;
    expect(created.user).toEqual({
      id: expect.stringMatching(/^[1-9][0-9]*$/),
      username: 'ada_lovelace',
      displayName: 'Ada Lovelace',
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    });

    const tokens = tokenServiceFromConfig(users.config);
    const verified = await tokens.verify(created.token);
    expect(verified.userId).toBe(created.user.id);
    expect(verified.expiresAt.toISOString()).toBe(created.expiresAt);

    // Any case of the username logs in to the same account.
    const logIn = await users.request<{ logIn: AuthData }>(LOG_IN, {
      username: 'ADA_lovelace',
      password: 'correct horse battery',
    });
    expect(logIn.errors).toBeUndefined();
    expect(logIn.data!.logIn.user).toEqual(created.user);
    expect((await tokens.verify(logIn.data!.logIn.token)).userId).toBe(created.user.id);

    const me = await users.request('{ me { id username displayName createdAt } }', {}, created.user.id);
    expect(me.errors).toBeUndefined();
    expect(me.data!.me).toEqual(created.user);
  });

  it('finds users by id and by username in any case; unknown ones are null', async () => {
    const { data } = await users.request<{ signUp: AuthData }>(SIGN_UP, {
      username: 'grace',
      password: 'hopper-1906',
      displayName: 'Grace Hopper',
    });
    const id = data!.signUp.user.id;
    const found = await users.request(
      `query ($id: ID!) {
        byId: user(id: $id) { id username }
        byName: userByUsername(username: "GRACE") { id displayName }
        unknownId: user(id: "12345") { id }
        unknownName: userByUsername(username: "nobody_here") { id }
      }`,
      { id },
    );
    expect(found.errors).toBeUndefined();
    expect(found.data).toEqual({
      byId: { id, username: 'grace' },
      byName: { id, displayName: 'Grace Hopper' },
      unknownId: null,
      unknownName: null,
    });
  });

  it("updateProfile changes the viewer's display name for every later read", async () => {
    const { data } = await users.request<{ signUp: AuthData }>(SIGN_UP, {
      username: 'linus',
      password: 'penguins-rule',
      displayName: 'Linus',
    });
    const id = data!.signUp.user.id;
    const updated = await users.request(
      'mutation { updateProfile(displayName: " Linus T. ") { id displayName } }',
      {},
      id,
    );
    expect(updated.errors).toBeUndefined();
    expect(updated.data!.updateProfile).toEqual({ id, displayName: 'Linus T.' });
    const read = await users.request(`{ user(id: "${id}") { displayName } me { displayName } }`, {}, id);
    expect(read.data).toEqual({ user: { displayName: 'Linus T.' }, me: { displayName: 'Linus T.' } });
  });

  it('me and updateProfile need a signed-in viewer', async () => {
    const me = await users.request('{ me { id } }');
    expect(me.data).toEqual({ me: null });
    expect(me.errors![0]!.extensions!.code).toBe('UNAUTHENTICATED');
    const update = await users.request('mutation { updateProfile(displayName: "x") { id } }');
    expect(update.data).toBeNull();
    expect(update.errors![0]!.extensions!.code).toBe('UNAUTHENTICATED');
  });

  it('a viewer whose account does not exist gets me = null and NOT_FOUND from updateProfile', async () => {
    const me = await users.request('{ me { id } }', {}, '424242');
    expect(me.errors).toBeUndefined();
    expect(me.data).toEqual({ me: null });
    const update = await users.request('mutation { updateProfile(displayName: "Ghost") { id } }', {}, '424242');
    expect(update.errors![0]!.extensions!.code).toBe('NOT_FOUND');
  });

  it('stores only a salted scrypt hash, never the password', async () => {
    const a = await users.request<{ signUp: AuthData }>(SIGN_UP, {
      username: 'salt_a',
      password: 'same-password',
      displayName: 'A',
    });
    const b = await users.request<{ signUp: AuthData }>(SIGN_UP, {
      username: 'salt_b',
      password: 'same-password',
      displayName: 'B',
    });
    const hashes: string[] = [];
    for (const { user } of [a.data!.signUp, b.data!.signUp]) {
      const row = await users.dbs.users
        .clientFor(BigInt(user.id))
        .user.findUniqueOrThrow({ where: { id: BigInt(user.id) } });
      expect(row.passwordHash).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
      expect(row.passwordHash).not.toContain('same-password');
      hashes.push(row.passwordHash);
    }
    expect(hashes[0]).not.toBe(hashes[1]);
  });

  it('upgrades a hash made with older cost parameters when the user logs in', async () => {
    const cheap = await users.request<{ signUp: AuthData }>(SIGN_UP, {
      username: 'old_hash',
      password: 'old-password',
      displayName: 'Old',
    });
    const id = BigInt(cheap.data!.signUp.user.id);
    const client = users.dbs.users.clientFor(id);
    // As if the account had been created when the cost was 2^12.
    const old = await new PasswordHasher({ N: 2 ** 12 }).hash('old-password');
    await client.user.update({ where: { id }, data: { passwordHash: old } });

    const logIn = await users.request(LOG_IN, { username: 'old_hash', password: 'old-password' });
    expect(logIn.errors).toBeUndefined();
    const { passwordHash } = await client.user.findUniqueOrThrow({ where: { id } });
    expect(passwordHash).toMatch(/^scrypt\$32768\$8\$1\$/);
    // and the upgraded hash still works
    expect((await users.request(LOG_IN, { username: 'old_hash', password: 'old-password' })).errors).toBeUndefined();
  });

  it('tokens are issued by the injected TokenService (key id of the configuration)', async () => {
    const server = createUsersServer({
      config: users.config,
      db: users.dbs.users,
      redis: users.redis,
      logger: createLogger('users', 'silent'),
      tokens: tokenServiceFromConfig({ ...users.config, JWT_KEY_ID: 'k-rotated' }),
    });
    const url = await server.listen(0);
    try {
      const res = await subgraphRequester(users.config, url)<{ logIn: AuthData }>(LOG_IN, {
        username: 'grace',
        password: 'hopper-1906',
      });
      const header = JSON.parse(Buffer.from(res.data!.logIn.token.split('.')[0]!, 'base64url').toString('utf8'));
      expect(header).toMatchObject({ alg: 'HS256', kid: 'k-rotated' });
    } finally {
      await server.close();
    }
  });
});
