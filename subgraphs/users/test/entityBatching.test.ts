import { PasswordHasher } from '../src/security/PasswordHasher';
import { SIGN_UP, startUsers, type AuthData, type StartedUsers } from './startUsers';

const ENTITIES =
  'query ($r: [_Any!]!) { _entities(representations: $r) { ... on User { id username displayName createdAt } } }';

describe('users subgraph: entity resolution is batched, one query per shard', () => {
  let users: StartedUsers;
  const created: AuthData['user'][] = [];

  beforeAll(async () => {
    // Cheap hashes: this suite is about reads, and 100 signUps at full cost would only slow it down.
    users = await startUsers({}, { passwords: new PasswordHasher({ N: 1024 }) });
    for (let i = 0; i < 100; i += 10) {
      const batch = await Promise.all(
        Array.from({ length: 10 }, (_, j) =>
          users.request<{ signUp: AuthData }>(SIGN_UP, {
            username: `member_${i + j}`,
            password: 'password-123',
            displayName: `Member ${i + j}`,
          }),
        ),
      );
      for (const res of batch) created.push(res.data!.signUp.user);
    }
  });
  afterAll(() => users.close());

  it('the 100 users are spread over both physical shards', () => {
    const perShard = [0, 0];
    for (const user of created) perShard[users.dbs.users.shardFor(BigInt(user.id)).index]!++;
    expect(perShard[0]).toBeGreaterThan(0);
    expect(perShard[1]).toBeGreaterThan(0);
  });

  it('_entities with 100 representations issues exactly one statement per shard and answers in order', async () => {
    const before = users.dbs.users.statementCounts();
    const res = await users.request(ENTITIES, { r: created.map((u) => ({ __typename: 'User', id: u.id })) });
    const after = users.dbs.users.statementCounts();
    expect(res.errors).toBeUndefined();
    expect(res.data!._entities).toEqual(created);
    expect(after.map((n, i) => n - before[i]!)).toEqual([1, 1]);
  });

  it('unknown ids resolve to null in their place, within the same batch', async () => {
    const reps = [created[0]!, { id: '777' }, created[99]!, { id: '9223372036854775807' }].map((u) => ({
      __typename: 'User',
      id: u.id,
    }));
    const before = users.dbs.users.statementCounts();
    const res = await users.request(ENTITIES, { r: reps });
    const after = users.dbs.users.statementCounts();
    expect(res.errors).toBeUndefined();
    expect(res.data!._entities).toEqual([created[0], null, created[99], null]);
    expect(after.map((n, i) => n - before[i]!).reduce((a, b) => a + b)).toBeLessThanOrEqual(2);
  });

  it('repeated representations and user(id) fields in one request share the batch', async () => {
    const ids = created.slice(0, 20).map((u) => u.id);
    const query = `{ ${ids.map((id, i) => `u${i}: user(id: "${id}") { id } again${i}: user(id: "${id}") { username }`).join(' ')} }`;
    const before = users.dbs.users.statementCounts();
    const res = await users.request(query);
    const after = users.dbs.users.statementCounts();
    expect(res.errors).toBeUndefined();
    expect(res.data!.u7).toEqual({ id: ids[7] });
    expect(res.data!.again19).toEqual({ username: created[19]!.username });
    const touched = after.map((n, i) => n - before[i]!);
    expect(touched.every((n) => n <= 1)).toBe(true);
    expect(touched.reduce((a, b) => a + b)).toBe(
      new Set(ids.map((id) => users.dbs.users.shardFor(BigInt(id)).index)).size,
    );
  });

  it('userByUsername for many names costs one directory and one user query per shard', async () => {
    const names = created.slice(0, 30).map((u) => u.username.toUpperCase());
    const query = `{ ${names.map((n, i) => `n${i}: userByUsername(username: "${n}") { id }`).join(' ')} }`;
    const before = users.dbs.users.statementCounts();
    const res = await users.request(query);
    const after = users.dbs.users.statementCounts();
    expect(res.errors).toBeUndefined();
    expect(res.data!.n29).toEqual({ id: created[29]!.id });
    expect(after.map((n, i) => n - before[i]!).every((n) => n <= 2)).toBe(true);
  });
});
