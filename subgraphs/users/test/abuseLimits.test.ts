import { waitUntil, type GraphQLResponse } from '@chatgraph/testing';
import { countRows, LOG_IN, SIGN_UP, startUsers, type StartedUsers } from './startUsers';

const codeOf = (res: GraphQLResponse<unknown>) => res.errors?.[0]?.extensions?.code as string | undefined;
const retryAfter = (res: GraphQLResponse<unknown>) => res.errors?.[0]?.extensions?.retryAfterMs as number;

describe('users subgraph: password guessing is slowed down', () => {
  let users: StartedUsers;
  beforeAll(async () => {
    users = await startUsers({
      RATE_LIMIT_LOGIN_USER: '2/1s..4s',
      RATE_LIMIT_LOGIN_ADDRESS: '4/1m',
      RATE_LIMIT_SIGNUP_ADDRESS: '2/1h',
    });
    await users.request(SIGN_UP, { username: 'ada', password: 'correct horse', displayName: 'Ada' });
  });
  afterAll(() => users.close());

  const logIn = (username: string, password: string, address?: string) =>
    users.request(LOG_IN, { username, password }, null, address);

  /** Guesses until a guess is checked again (the wait is over); polls the answer itself. */
  async function guessWhenAllowed(username: string, password: string): Promise<GraphQLResponse<unknown>> {
    let res: GraphQLResponse<unknown> | undefined;
    await waitUntil(`a guess on ${username} is checked again`, async () => {
      res = await logIn(username, password);
      return codeOf(res) !== 'RATE_LIMITED';
    });
    return res!;
  }

  it('lets a few wrong passwords through, then refuses guesses with a wait that doubles', async () => {
    expect(codeOf(await logIn('ada', 'guess-1'))).toBe('INVALID_CREDENTIALS');
    expect(codeOf(await logIn('ada', 'guess-2'))).toBe('INVALID_CREDENTIALS');
    const waits: number[] = [];
    for (let i = 3; i <= 5; i++) {
      expect(codeOf(await guessWhenAllowed('ada', `guess-${i}`))).toBe('INVALID_CREDENTIALS');
      const refused = await logIn('ada', `guess-${i}-again`);
      expect(codeOf(refused)).toBe('RATE_LIMITED');
      waits.push(retryAfter(refused));
    }
    // 1 s, then 2 s, then 4 s (the cap), each minus the time the last guess took.
    expect(waits[0]).toBeLessThanOrEqual(1000);
    expect(waits[1]).toBeGreaterThan(1000);
    expect(waits[1]).toBeLessThanOrEqual(2000);
    expect(waits[2]).toBeGreaterThan(2000);
    expect(waits[2]).toBeLessThanOrEqual(4000);
    // The right password is refused too while the username waits...
    expect(codeOf(await logIn('ada', 'correct horse'))).toBe('RATE_LIMITED');
    // ...and works once the wait is over, which forgets the failures: wrong passwords are checked again at once.
    const success = (await guessWhenAllowed('ada', 'correct horse')) as GraphQLResponse<{ logIn: { token: string } }>;
    expect(success.data?.logIn.token).toEqual(expect.any(String));
    expect(codeOf(await logIn('ada', 'guess-6'))).toBe('INVALID_CREDENTIALS');
    expect(codeOf(await logIn('ada', 'guess-7'))).toBe('INVALID_CREDENTIALS');
  });

  it('throttles unknown usernames the same way (the limit does not tell which exist)', async () => {
    for (let i = 0; i < 3; i++) expect(codeOf(await logIn('nobody_here', 'guess'))).toBe('INVALID_CREDENTIALS');
    expect(codeOf(await logIn('nobody_here', 'guess'))).toBe('RATE_LIMITED');
  });

  it('limits logIn attempts per client address, whatever the usernames', async () => {
    for (let i = 0; i < 4; i++)
      expect(codeOf(await logIn(`spray_${i}`, 'guess', '203.0.113.9'))).toBe('INVALID_CREDENTIALS');
    const refused = await logIn('spray_4', 'guess', '203.0.113.9');
    expect(codeOf(refused)).toBe('RATE_LIMITED');
    expect(retryAfter(refused)).toBeGreaterThan(0);
    expect(retryAfter(refused)).toBeLessThanOrEqual(60_000);
    expect(codeOf(await logIn('spray_4', 'guess', '198.51.100.2'))).toBe('INVALID_CREDENTIALS');
  });

  it('limits signUp per client address, before anything is written', async () => {
    const signUp = (username: string, address?: string) =>
      users.request(SIGN_UP, { username, password: 'long enough', displayName: username }, null, address);
    expect(codeOf(await signUp('bot_1', '203.0.113.50'))).toBeUndefined();
    expect(codeOf(await signUp('bot_2', '203.0.113.50'))).toBeUndefined();
    const before = await countRows(users.dbs.users);
    const refused = await signUp('bot_3', '203.0.113.50');
    expect(codeOf(refused)).toBe('RATE_LIMITED');
    expect(retryAfter(refused)).toBeGreaterThan(0);
    expect(await countRows(users.dbs.users)).toEqual(before);
    expect(codeOf(await signUp('bot_3', '203.0.113.51'))).toBeUndefined();
  });
});

describe('users subgraph: concurrent password hashing is bounded', () => {
  let users: StartedUsers;
  beforeAll(async () => {
    users = await startUsers({ PASSWORD_HASH_CONCURRENCY: '1', PASSWORD_HASH_QUEUE: '1' });
  });
  afterAll(() => users.close());

  it('answers a logIn flood beyond the queue with SERVICE_UNAVAILABLE and a retry hint, and serves again after', async () => {
    const flood = await Promise.all(
      Array.from({ length: 12 }, (_, i) => users.request(LOG_IN, { username: `flood_${i}`, password: 'guess' })),
    );
    const codes = flood.map(codeOf);
    expect(codes.every((c) => c === 'INVALID_CREDENTIALS' || c === 'SERVICE_UNAVAILABLE')).toBe(true);
    const refused = flood.filter((r) => codeOf(r) === 'SERVICE_UNAVAILABLE');
    expect(refused.length).toBeGreaterThan(0);
    for (const r of refused) expect(retryAfter(r)).toBeGreaterThan(0);
    expect(codes.filter((c) => c === 'INVALID_CREDENTIALS').length).toBeGreaterThanOrEqual(2);
    expect(codeOf(await users.request(LOG_IN, { username: 'flood_after', password: 'guess' }))).toBe(
      'INVALID_CREDENTIALS',
    );
  });
});
