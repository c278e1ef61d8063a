import { countRows, LOG_IN, SIGN_UP, startUsers, type AuthData, type StartedUsers } from './startUsers';

describe('users subgraph: bad input is refused with BAD_USER_INPUT naming the argument, and writes nothing', () => {
  let users: StartedUsers;
  let viewerId: string;
  beforeAll(async () => {
    users = await startUsers();
    const res = await users.request<{ signUp: AuthData }>(SIGN_UP, {
      username: 'valid_user',
      password: 'valid-password',
      displayName: 'Valid',
    });
    viewerId = res.data!.signUp.user.id;
  });
  afterAll(() => users.close());

  const good = { username: 'new_user', password: 'long-enough', displayName: 'New User' };
  const signUpCases: Array<[string, Partial<typeof good>, string]> = [
    ['username too short', { username: 'ab' }, 'username'],
    ['username too long', { username: 'a'.repeat(33) }, 'username'],
    ['username with a space', { username: 'new user' }, 'username'],
    ['username with a dash', { username: 'new-user' }, 'username'],
    ['username with a non-ASCII letter', { username: 'jürgen' }, 'username'],
    ['username empty', { username: '' }, 'username'],
    ['password of 7 characters', { password: '1234567' }, 'password'],
    ['password of 257 characters', { password: 'p'.repeat(257) }, 'password'],
    ['displayName only spaces', { displayName: '   ' }, 'displayName'],
    ['displayName empty', { displayName: '' }, 'displayName'],
    ['displayName of 65 characters', { displayName: 'd'.repeat(65) }, 'displayName'],
    ['displayName with a newline', { displayName: 'two\nlines' }, 'displayName'],
    ['displayName with a control character', { displayName: 'bell\u0007' }, 'displayName'],
    ['displayName with a line separator', { displayName: 'a\u2028b' }, 'displayName'],
    ['displayName with a right-to-left override', { displayName: 'admin\u202Egnp.exe' }, 'displayName'],
    ['displayName with a bidi isolate', { displayName: 'a\u2066b' }, 'displayName'],
    ['displayName of invisible characters only', { displayName: '\u200B\u200D\u3164\u2800' }, 'displayName'],
    ['displayName with a lone surrogate', { displayName: 'half \ud800' }, 'displayName'],
  ];

  it.each(signUpCases)('signUp: %s', async (_name, override, field) => {
    const before = await countRows(users.dbs.users);
    const res = await users.request(SIGN_UP, { ...good, ...override });
    expect(res.status).toBe(200);
    expect(res.data).toBeNull();
    expect(res.errors).toHaveLength(1);
    expect(res.errors![0]!.extensions).toEqual({ code: 'BAD_USER_INPUT', field });
    expect(res.errors![0]!.message).not.toMatch(/\bat \S+:\d+/); // no stack
    expect(await countRows(users.dbs.users)).toEqual(before);
  });

  it('the limits themselves are accepted (3 and 32 character usernames, 8 and 256 character passwords, 64 emoji)', async () => {
    for (const input of [
      { username: 'abc', password: '12345678', displayName: 'x' },
      { username: 'b'.repeat(32), password: 'p'.repeat(256), displayName: '🙂'.repeat(64) },
    ]) {
      const res = await users.request(SIGN_UP, input);
      expect(res.errors).toBeUndefined();
    }
  });

  it.each<[string, Record<string, string>, string]>([
    ['logIn: username with a space', { username: 'valid user', password: 'valid-password' }, 'username'],
    ['logIn: empty password', { username: 'valid_user', password: '' }, 'password'],
    ['logIn: 257 character password', { username: 'valid_user', password: 'p'.repeat(257) }, 'password'],
  ])('%s', async (_name, variables, field) => {
    const res = await users.request(LOG_IN, variables);
    expect(res.data).toBeNull();
    expect(res.errors![0]!.extensions).toEqual({ code: 'BAD_USER_INPUT', field });
  });

  it.each([
    ['', 'empty'],
    ['abc', 'not a number'],
    ['-5', 'negative'],
    ['0012', 'leading zeros'],
    ['99999999999999999999', 'beyond 64 bits'],
  ])('user(id: %j) (%s) is refused, naming id', async (id) => {
    const res = await users.request('query ($id: ID!) { user(id: $id) { id } }', { id });
    expect(res.data).toEqual({ user: null });
    expect(res.errors![0]!.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'id' });
  });

  it('userByUsername with an impossible username is refused, naming username', async () => {
    const res = await users.request('{ userByUsername(username: "no spaces allowed") { id } }');
    expect(res.errors![0]!.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'username' });
  });

  it.each<[string, string]>([
    ['empty', ''],
    ['too long', 'x'.repeat(65)],
    ['with a tab', 'tab\there'],
  ])('updateProfile with a %s displayName is refused and the name stays', async (_name, displayName) => {
    const res = await users.request(
      'mutation ($d: String!) { updateProfile(displayName: $d) { id } }',
      { d: displayName },
      viewerId,
    );
    expect(res.data).toBeNull();
    expect(res.errors![0]!.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'displayName' });
    const me = await users.request('{ me { displayName } }', {}, viewerId);
    expect(me.data).toEqual({ me: { displayName: 'Valid' } });
  });

  it('a malformed entity representation is refused, naming representations', async () => {
    const res = await users.request('query ($r: [_Any!]!) { _entities(representations: $r) { ... on User { id } } }', {
      r: [{ __typename: 'User', id: 'not-an-id' }],
    });
    expect(res.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'representations' });
  });

  it('a wrong argument type is a validation error, not a crash', async () => {
    const res = await users.request('mutation { signUp(username: 5, password: "x", displayName: "y") { token } }');
    expect(res.status).toBe(400);
    expect(res.errors![0]!.extensions!.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });
});
