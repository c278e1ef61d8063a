/**
 * Statements run on a shard's driver adapter (`ShardedDatabase.statementsFor`, under the Prisma client) behave as the
 * same statement through `$queryRaw`: the same rows with the same JavaScript types, errors that `postgresError` and
 * the outage mapping read, the shard's statement counts, and the prepared statement names.
 */
import { ChatsPrisma } from '@chatgraph/db';
import { infrastructureFailure, postgresError } from '@chatgraph/service';
import { createTestDatabases, testConfig, waitUntil, type TestDatabases } from '@chatgraph/testing';

describe('AdapterStatements', () => {
  const config = testConfig({ USERS_SHARDS: '1', CHATS_SHARDS: '1', DB_POOL_SIZE: '1' });
  let dbs: TestDatabases;
  beforeAll(async () => {
    dbs = await createTestDatabases(config);
  });
  afterAll(() => dbs.drop());

  const typed = (id: bigint, ids: bigint[], at: Date, note: string | null) => ChatsPrisma.sql`
    SELECT ${id}::bigint AS id, ${ids.map(String)}::bigint[] AS ids, ${at.toISOString()}::timestamptz AS at,
           ARRAY[${at.toISOString()}::timestamptz, NULL] AS ats, ${note}::text AS note, 7::int AS n, true AS yes,
           '{"a":[1,"b"]}'::jsonb AS doc, NULL::bigint AS nothing, ARRAY[NULL::bigint, 5] AS sparse`;

  it('returns the rows $queryRaw returns, typed alike (int8 as bigint, timestamps as Date, json parsed)', async () => {
    const at = new Date('2026-11-30T05:04:11.559Z');
    const big = 9_007_199_254_740_993n; // past Number.MAX_SAFE_INTEGER: must not go through a float
    for (const note of ['hello', null]) {
      const statement = typed(big, [1n, big], at, note);
      const direct = await dbs.chats.statementsFor(1n).rows<Record<string, unknown>>(statement);
      const client = await dbs.chats.clientAt(0).$queryRaw<Array<Record<string, unknown>>>(statement);
      expect(direct).toEqual(client);
      expect(direct).toEqual([
        {
          id: big,
          ids: [1n, big],
          at,
          ats: [at, null],
          note,
          n: 7,
          yes: true,
          doc: { a: [1, 'b'] },
          nothing: null,
          sparse: [null, 5n],
        },
      ]);
    }
  });

  it('reports a unique violation with its SQLSTATE and constraint, and counts its statements on the shard', async () => {
    const db = dbs.chats;
    await db.clientAt(0).$executeRawUnsafe('CREATE TABLE IF NOT EXISTS adapter_probe (k int PRIMARY KEY)');
    const insert = (k: number) => db.statementsFor(1n).rows(ChatsPrisma.sql`INSERT INTO adapter_probe VALUES (${k})`);
    const before = db.statementCounts()[0]!;
    await insert(1);
    const err = await insert(1).catch((e: unknown) => e);
    expect(postgresError(err)).toMatchObject({ code: '23505', constraint: 'adapter_probe_pkey' });
    // A constraint is the request's fault, not an outage.
    expect(infrastructureFailure(err)).toBeNull();
    expect(db.statementCounts()[0]! - before).toBe(2);
  });

  it('keeps the connection (and its prepared statements) after a statement fails, not after a failed transaction', async () => {
    const db = dbs.chats;
    const runner = db.statementsFor(1n);
    await db.clientAt(0).$executeRawUnsafe('CREATE TABLE IF NOT EXISTS adapter_keep (k int PRIMARY KEY)');
    const pid = async () =>
      (
        await runner.rows<{ pid: number }>(ChatsPrisma.sql`/* prepared: adapter_pid */ SELECT pg_backend_pid() AS pid`)
      )[0]!.pid;
    const first = await pid();
    await runner.execute(ChatsPrisma.sql`INSERT INTO adapter_keep VALUES (1)`);
    // A unique violation on the pool's only connection: the connection stays, with its prepared statement.
    await expect(runner.execute(ChatsPrisma.sql`INSERT INTO adapter_keep VALUES (1)`)).rejects.toThrow();
    expect(await pid()).toBe(first);
    const prepared = await runner.rows(
      ChatsPrisma.sql`SELECT name FROM pg_prepared_statements WHERE name LIKE 'adapter_pid%'`,
    );
    expect(prepared).toHaveLength(1);
    // A statement that fails inside a transaction released with its error: that connection is closed.
    const client = await db.poolAt(0).connect();
    let err: Error | undefined;
    try {
      await client.query('BEGIN');
      err = await client.query('INSERT INTO adapter_keep VALUES (1)').then(
        () => undefined,
        (e: Error) => e,
      );
      // pg hands the error over as it arrives; the transaction's state comes with the server's next message.
      await waitUntil('the server reported the failed transaction', () => client.getTransactionStatus() !== 'T');
      expect(client.getTransactionStatus()).toBe('E');
    } finally {
      // Released with its error either way: the pool's only connection must not stay checked out.
      client.release(err ?? new Error('the statement did not fail'));
    }
    expect(await pid()).not.toBe(first);
  });

  it('prepares a marked statement once on the connection', async () => {
    const runner = dbs.chats.statementsFor(1n);
    for (const n of [1, 2, 3])
      expect(await runner.rows(ChatsPrisma.sql`/* prepared: adapter_probe */ SELECT ${n}::int * 3 AS x`)).toEqual([
        { x: n * 3 },
      ]);
    const rows = await dbs.chats.clientAt(0).$queryRaw<Array<{ name: string }>>`
      SELECT name FROM pg_prepared_statements WHERE name LIKE 'adapter_probe%'`;
    expect(rows).toHaveLength(1);
  });
});
