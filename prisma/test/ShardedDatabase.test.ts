import { composeId } from '@chatgraph/ids';
import { shardMapFor } from '../src';
import { createTestDatabases, testConfig, type TestDatabases } from '@chatgraph/testing';

describe('ShardedDatabase', () => {
  const config = testConfig({ USERS_SHARDS: '1', CHATS_SHARDS: '4' });
  let dbs: TestDatabases;
  beforeAll(async () => {
    dbs = await createTestDatabases(config);
  });
  afterAll(() => dbs.drop());

  it('sends a query for an id to the one database that holds it', async () => {
    const map = shardMapFor(config, 'chats');
    for (const logical of [0, 1023, 1024, 2500, 4095]) {
      const id = composeId({ timeMs: Date.now(), logicalShard: logical, sequence: 0 });
      const before = dbs.chats.statementCounts();
      const rows = await dbs.chats.clientFor(id).$queryRaw<{ db: string }[]>`SELECT current_database() AS db`;
      expect(rows[0]!.db).toBe(map.forLogical(logical).database);
      const after = dbs.chats.statementCounts();
      const touched = after.map((n, i) => n - before[i]!).filter((d) => d > 0);
      expect(touched).toHaveLength(1);
    }
  });

  it('groups ids into one batch per physical shard', () => {
    const ids = [0, 1, 1500, 3000, 3001, 4095].map((l) =>
      composeId({ timeMs: Date.now(), logicalShard: l, sequence: 0 }),
    );
    const groups = dbs.chats.groupByShard(ids, (id) => id);
    expect([...groups.keys()].sort()).toEqual([0, 1, 2, 3]);
    expect(groups.get(2)).toHaveLength(2);
    expect(groups.get(3)).toHaveLength(1);
  });
});
