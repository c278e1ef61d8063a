/**
 * A shard that refuses connections fails fast and alone, and heals by itself: a throwaway Postgres cluster holds the
 * shard databases; one database stops accepting connections (SQLSTATE 55000, as during a failover or maintenance),
 * its breaker opens, its requests are refused at once with an error every subgraph maps to SERVICE_UNAVAILABLE, the
 * other shards keep serving, and when it accepts connections again it serves again. Then the whole server stops and
 * comes back.
 */
import type { GraphQLError } from 'graphql';
import { mapOutage } from '@chatgraph/service';
import { PostgresCluster, testConfig, waitUntil } from '@chatgraph/testing';
import { Pool } from 'pg';
import { createChatsDatabase, migrateAll, type ChatsClient, type ShardedDatabase } from '../src';

const codeOf = (err: unknown) => (mapOutage(err, 'chats') as GraphQLError).extensions?.code;

describe('shard circuit breaker', () => {
  let cluster: PostgresCluster;
  let db: ShardedDatabase<ChatsClient>;
  let admin: Pool;
  let victim: string;

  const ask = async (shard: number) => {
    try {
      await db.clientAt(shard).$queryRaw`SELECT 1`;
      return 'ok';
    } catch (err) {
      return err;
    }
  };

  beforeAll(async () => {
    cluster = await PostgresCluster.start();
    const config = testConfig({ DATABASE_URL: cluster.url, CHATS_SHARDS: '2', USERS_SHARDS: '1' });
    await migrateAll(config);
    db = createChatsDatabase(config);
    admin = new Pool({ connectionString: `${cluster.url}/postgres` });
    // Its idle connection dies with the server in the second test.
    admin.on('error', () => undefined);
    victim = db.map.shards[0]!.database;
  }, 60_000);

  afterAll(async () => {
    await db?.close();
    await admin?.end();
    await cluster?.close();
  });

  it('opens on a shard that refuses connections, fails its requests fast, spares the others, and heals', async () => {
    expect([await ask(0), await ask(1)]).toEqual(['ok', 'ok']);
    await admin.query(`ALTER DATABASE "${victim}" ALLOW_CONNECTIONS false`);
    await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1`, [victim]);
    await waitUntil('the breaker of the refusing shard opens', async () => {
      const outcome = await ask(0);
      expect(outcome).not.toBe('ok');
      expect(codeOf(outcome)).toBe('SERVICE_UNAVAILABLE');
      return db.breakerStates()[0] === 'open';
    });
    // Open: refused without asking the server, still SERVICE_UNAVAILABLE.
    const refused = await ask(0);
    expect(codeOf(refused)).toBe('SERVICE_UNAVAILABLE');
    expect(String((refused as Error).message) + String((refused as { cause?: unknown }).cause ?? '')).toMatch(
      /circuit breaker is open|unavailable/i,
    );
    expect(await ask(1)).toBe('ok');
    expect(db.breakerStates()).toEqual(['open', 'closed']);
    await admin.query(`ALTER DATABASE "${victim}" ALLOW_CONNECTIONS true`);
    await waitUntil('the shard serves again', async () => (await ask(0)) === 'ok');
    expect(db.breakerStates()).toEqual(['closed', 'closed']);
  });

  it('heals after the whole server stops and starts again', async () => {
    await cluster.stop('immediate');
    await waitUntil('both breakers open', async () => {
      await Promise.all([ask(0), ask(1)]);
      return db.breakerStates().every((s) => s === 'open');
    });
    expect(codeOf(await ask(1))).toBe('SERVICE_UNAVAILABLE');
    await cluster.restart();
    await waitUntil('both shards serve again', async () => (await ask(0)) === 'ok' && (await ask(1)) === 'ok');
  }, 60_000);
});
