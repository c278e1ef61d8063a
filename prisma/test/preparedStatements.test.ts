/**
 * Statements marked `/* prepared: <name> *\/` are prepared once per connection by `pg` (through the Prisma driver
 * adapter's statement names); unmarked ones are not. Checked on the server: `pg_prepared_statements` of the one
 * connection a pool of size 1 holds.
 */
import { createTestDatabases, testConfig, type TestDatabases } from '@chatgraph/testing';
import { preparedStatementName } from '../src/preparedStatements';

describe('prepared statements', () => {
  const config = testConfig({ USERS_SHARDS: '1', CHATS_SHARDS: '1', DB_POOL_SIZE: '1' });
  let dbs: TestDatabases;
  beforeAll(async () => {
    dbs = await createTestDatabases(config);
  });
  afterAll(() => dbs.drop());

  const prepared = async () => {
    const rows = await dbs.chats.clientAt(0).$queryRaw<
      Array<{ name: string }>
    >`SELECT name FROM pg_prepared_statements ORDER BY name`;
    return rows.map((r) => r.name);
  };

  it('prepares a marked statement once per connection and reuses it with new arguments', async () => {
    const client = dbs.chats.clientAt(0);
    expect(await prepared()).toEqual([]);
    for (const n of [1, 2, 3]) {
      const rows = await client.$queryRaw<Array<{ x: number }>>`/* prepared: probe_double */ SELECT ${n}::int * 2 AS x`;
      expect(rows).toEqual([{ x: n * 2 }]);
    }
    const names = await prepared();
    expect(names).toHaveLength(1);
    expect(names[0]).toMatch(/^probe_double_[0-9a-f]{12}$/);
    // An unmarked statement stays unnamed.
    await client.$queryRaw`SELECT ${1}::int AS y`;
    expect(await prepared()).toEqual(names);
  });

  it('names by marker and text: another text under the same marker gets another name', () => {
    const a = preparedStatementName({ sql: '/* prepared: send_message */ SELECT $1' });
    const b = preparedStatementName({ sql: '/* prepared: send_message */ SELECT $1, $2' });
    expect(a).toMatch(/^send_message_/);
    expect(b).toMatch(/^send_message_/);
    expect(a).not.toBe(b);
    expect(preparedStatementName({ sql: 'SELECT 1 /* prepared: late */' })).toBeUndefined();
  });
});
