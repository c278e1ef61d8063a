import { decomposeId, logicalShardForKey } from '@chatgraph/ids';
import { GraphQLError } from 'graphql';
import { UsersStorage } from '../src/storage/UsersStorage';
import { countRows, SIGN_UP, startUsers, type AuthData, type StartedUsers } from './startUsers';

describe('users subgraph: usernames are unique across shards', () => {
  let users: StartedUsers;
  beforeAll(async () => {
    users = await startUsers();
  });
  afterAll(() => users.close());

  const signUp = (username: string, displayName = 'Someone') =>
    users.request<{ signUp: AuthData }>(SIGN_UP, { username, password: 'password-1234', displayName });

  it('a taken username, also in another case, gives USERNAME_TAKEN and creates nothing', async () => {
    const first = await signUp('margaret', 'Margaret');
    expect(first.errors).toBeUndefined();
    const before = await countRows(users.dbs.users);

    for (const again of ['margaret', 'MARGARET', 'Margaret']) {
      const res = await signUp(again, 'Impostor');
      expect(res.data).toBeNull();
      expect(res.errors).toHaveLength(1);
      expect(res.errors![0]!.extensions).toMatchObject({ code: 'USERNAME_TAKEN', field: 'username' });
      expect(res.errors![0]!.message).toContain('"margaret" is already taken');
    }
    expect(await countRows(users.dbs.users)).toEqual(before);
    // The original account is untouched.
    const owner = await users.request('{ userByUsername(username: "margaret") { id displayName } }');
    expect(owner.data!.userByUsername).toEqual({ id: first.data!.signUp.user.id, displayName: 'Margaret' });
  });

  it('10 concurrent signUps with one name: exactly one wins, 9 get USERNAME_TAKEN, one row of each kind', async () => {
    const before = await countRows(users.dbs.users);
    const names = ['Race', 'race', 'RACE', 'rAce', 'raCe', 'racE', 'RAce', 'raCE', 'RaCe', 'rACe'];
    const results = await Promise.all(names.map((name, i) => signUp(name, `Racer ${i}`)));

    const winners = results.filter((r) => r.data?.signUp);
    const losers = results.filter((r) => r.errors?.[0]?.extensions?.code === 'USERNAME_TAKEN');
    expect(winners).toHaveLength(1);
    expect(losers).toHaveLength(9);
    expect(await countRows(users.dbs.users)).toEqual({ users: before.users + 1, directory: before.directory + 1 });

    // The row of each kind is the winner's, and both sit on the logical shard of the name's directory entry.
    const winner = winners[0]!.data!.signUp.user;
    const id = BigInt(winner.id);
    const logical = logicalShardForKey('race');
    expect(decomposeId(id).logicalShard).toBe(logical);
    const client = users.dbs.users.clientForLogical(logical);
    expect(await client.usernameDirectory.findUnique({ where: { username: 'race' } })).toMatchObject({ userId: id });
    expect(await client.user.findUnique({ where: { id } })).toMatchObject({
      username: 'race',
      displayName: winner.displayName,
    });
  });

  it('storage level, without hashing to stagger them: 10 simultaneous createUser transactions, one wins', async () => {
    const before = await countRows(users.dbs.users);
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) =>
        new UsersStorage(users.dbs.users).createUser({
          username: 'photo_finish',
          displayName: `R${i}`,
          passwordHash: 'x',
        }),
      ),
    );
    const codes = results.map((r) =>
      r.status === 'fulfilled'
        ? 'created'
        : r.reason instanceof GraphQLError
          ? r.reason.extensions.code
          : String(r.reason),
    );
    expect(codes.filter((c) => c === 'created')).toHaveLength(1);
    expect(codes.filter((c) => c === 'USERNAME_TAKEN')).toHaveLength(9);
    expect(await countRows(users.dbs.users)).toEqual({ users: before.users + 1, directory: before.directory + 1 });
  });

  it('names hashed to both physical shards all work, each user colocated with its directory entry', async () => {
    const shardsSeen = new Set<number>();
    for (let i = 0; i < 8; i++) {
      const name = `spread_${i}`;
      const res = await signUp(name);
      expect(res.errors).toBeUndefined();
      const id = BigInt(res.data!.signUp.user.id);
      expect(users.dbs.users.shardFor(id).index).toBe(users.dbs.users.map.forLogical(logicalShardForKey(name)).index);
      shardsSeen.add(users.dbs.users.shardFor(id).index);
    }
    expect([...shardsSeen].sort()).toEqual([0, 1]);
  });
});
