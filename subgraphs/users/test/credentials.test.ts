import { LOG_IN, SIGN_UP, startUsers, type StartedUsers } from './startUsers';

describe('users subgraph: logIn does not tell unknown users from wrong passwords', () => {
  let users: StartedUsers;
  beforeAll(async () => {
    users = await startUsers();
    const res = await users.request(SIGN_UP, { username: 'alan', password: 'enigma-machine', displayName: 'Alan' });
    expect(res.errors).toBeUndefined();
  });
  afterAll(() => users.close());

  it('wrong password and unknown user give the identical error', async () => {
    const wrongPassword = await users.request(LOG_IN, { username: 'alan', password: 'not-the-password' });
    const unknownUser = await users.request(LOG_IN, { username: 'no_such_alan', password: 'enigma-machine' });
    for (const res of [wrongPassword, unknownUser]) {
      expect(res.status).toBe(200);
      expect(res.data).toBeNull();
      expect(res.errors).toHaveLength(1);
    }
    const strip = (e: { message: string; extensions?: Record<string, unknown> }) => ({
      message: e.message,
      extensions: e.extensions,
    });
    expect(strip(wrongPassword.errors![0]!)).toEqual(strip(unknownUser.errors![0]!));
    expect(wrongPassword.errors![0]!.extensions).toEqual({ code: 'INVALID_CREDENTIALS' });
    expect(wrongPassword.errors![0]!.message).toBe('The username or the password is wrong.');
  });

  it('a password differing only in case is wrong; the username is case-insensitive', async () => {
    expect(
      (await users.request(LOG_IN, { username: 'alan', password: 'ENIGMA-MACHINE' })).errors![0]!.extensions!.code,
    ).toBe('INVALID_CREDENTIALS');
    expect((await users.request(LOG_IN, { username: 'ALAN', password: 'enigma-machine' })).errors).toBeUndefined();
  });
});
