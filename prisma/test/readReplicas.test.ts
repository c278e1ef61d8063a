/**
 * Read replicas on real throwaway clusters: a primary and a streaming replica of it (`pg_basebackup -R`). Reads that
 * may be stale run on the replica; a viewer who wrote reads their write even while the replica's replay is paused,
 * also through another instance (another process) sharing the write positions in Redis; a replica lagging past the
 * bound is skipped; a killed replica costs reads nothing (they move to the primary) and is used again once back.
 * Where a read ran is proven by per-pool statement counts and by what it returned, never by timing.
 */
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { Client } from 'pg';
import { withRequestScope, currentRequest } from '@chatgraph/logging';
import { PostgresCluster, testConfig, waitUntil } from '@chatgraph/testing';
import {
  createChatsDatabase,
  lsnFromKey,
  lsnKey,
  mayWrite,
  migrateAll,
  parseLsn,
  RedisWritePositions,
  serverUrl,
  type ChatsClient,
  type ReplicaOptions,
  type ShardedDatabase,
} from '../src';

describe('WAL positions and write detection', () => {
  it('parses, orders and keys positions', () => {
    expect(parseLsn('16/B374D848')).toBe(0x16b374d848n);
    expect(parseLsn(null)).toBeNull();
    expect(lsnFromKey(lsnKey(0x16b374d848n))).toBe(0x16b374d848n);
    // keys sort as positions do (the Redis script compares strings)
    expect(lsnKey(0xfn) < lsnKey(0x10n)).toBe(true);
    expect(lsnKey(0x1_00000000n) > lsnKey(0xffffffffn)).toBe(true);
  });

  it('counts anything but plain reads as writes', () => {
    expect(mayWrite('SELECT "id" FROM "users" WHERE "deleted_at" IS NULL')).toBe(false);
    expect(mayWrite('BEGIN')).toBe(false);
    expect(mayWrite('COMMIT')).toBe(false);
    expect(mayWrite('INSERT INTO t VALUES ($1)')).toBe(true);
    expect(mayWrite('UPDATE "users" SET "updated_at" = $1')).toBe(true);
    expect(mayWrite('WITH x AS (DELETE FROM t RETURNING id) SELECT * FROM x')).toBe(true);
    expect(mayWrite('SELECT chatgraph_next_id(3)')).toBe(true);
    expect(mayWrite('SELECT id FROM t FOR UPDATE')).toBe(true);
  });
});

describe('read replicas of a sharded database', () => {
  let primary: PostgresCluster;
  let replica: PostgresCluster;
  let redis: Redis;
  let database: string;
  let replicaAdmin: Client;
  const opened: Array<ShardedDatabase<ChatsClient>> = [];
  const config = () => testConfig({ CHATS_SHARDS: '1', USERS_SHARDS: '1', DATABASE_URL: primary.url });
  let prefix: string;
  let cfg: ReturnType<typeof testConfig>;

  /** A database of the one chats shard with replicas, sharing write positions in Redis with every other one. */
  const open = (options: Partial<ReplicaOptions> = {}) => {
    const db = createChatsDatabase(cfg, undefined, {
      // The replica belongs to the primary's server: a shard placed elsewhere has none there.
      urls: (_shard, server) => (serverUrl(server) === serverUrl(primary.url) ? [replica.url] : []),
      maxLagMs: 60_000,
      probeIntervalMs: 100,
      session: { service: 'chats', scope: currentRequest, positions: new RedisWritePositions(redis, prefix) },
      ...options,
    });
    opened.push(db);
    return db;
  };
  const request = <T>(viewerId: string | null, fn: () => Promise<T>): Promise<T> =>
    withRequestScope({ requestId: randomBytes(4).toString('hex'), viewerId }, fn);
  const values = (db: ShardedDatabase<ChatsClient>) =>
    db.readAt(0, async (client) =>
      (await client.$queryRaw<Array<{ v: string }>>`SELECT v FROM replica_probe ORDER BY v`).map((r) => r.v),
    );
  const insert = (db: ShardedDatabase<ChatsClient>, v: string) =>
    db.clientAt(0).$executeRaw`INSERT INTO replica_probe (v) VALUES (${v})`;
  const onReplica = (db: ShardedDatabase<ChatsClient>) => db.replicaStats()[0]!.statements;
  const healthy = async (db: ShardedDatabase<ChatsClient>) => {
    await db.probeReplicas();
    return db.replicaStats()[0]!.healthy;
  };
  const caughtUp = async () => {
    const [{ lsn }] = (await primaryPoolQuery<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn')).rows as [
      { lsn: string },
    ];
    const { rows } = await replicaAdmin.query<{ lsn: string }>('SELECT pg_last_wal_replay_lsn()::text AS lsn');
    return parseLsn(rows[0]!.lsn)! >= parseLsn(lsn)!;
  };
  const connectReplica = async () => {
    const client = new Client({ connectionString: `${replica.url}/postgres` });
    // Its connection dies with the replica in the last test.
    client.on('error', () => undefined);
    await client.connect();
    return client;
  };
  let primaryPoolQuery: <R extends object>(sql: string) => Promise<{ rows: R[] }>;

  beforeAll(async () => {
    primary = await PostgresCluster.start();
    replica = await PostgresCluster.startReplicaOf(primary);
    cfg = config();
    prefix = cfg.DB_NAME_PREFIX;
    redis = new Redis(cfg.REDIS_URL, { lazyConnect: false });
    await migrateAll(cfg);
    const setup = createChatsDatabase(cfg);
    opened.push(setup);
    database = setup.map.shards[0]!.database;
    await setup.poolAt(0).query('CREATE TABLE replica_probe (v text PRIMARY KEY)');
    primaryPoolQuery = (sql) => setup.poolAt(0).query(sql);
    replicaAdmin = await connectReplica();
    await waitUntil('the replica has the shard database', caughtUp, 30_000);
  }, 120_000);

  afterAll(async () => {
    await Promise.all(opened.map((db) => db.close()));
    await replicaAdmin?.end().catch(() => undefined);
    const keys = await redis.keys(`${prefix}:ryw:*`);
    if (keys.length) await redis.del(...keys);
    redis?.disconnect();
    await replica?.close();
    await primary?.close();
  });

  it('reads on the replica, and a viewer always reads their own writes, through any instance', async () => {
    const a = open();
    const b = open(); // another process of the service: it shares only Redis with `a`
    await waitUntil('the replica is healthy for both', async () => (await healthy(a)) && (await healthy(b)));
    await insert(a, 'before');
    await waitUntil('the replica replayed it', caughtUp);
    await a.probeReplicas();

    // Nobody wrote: the read runs on the replica.
    let before = onReplica(a);
    expect(await request('bob', () => values(a))).toEqual(['before']);
    expect(onReplica(a)).toBe(before + 1);

    await replicaAdmin.query('SELECT pg_wal_replay_pause()');
    try {
      for (let i = 0; i < 10; i++) {
        const v = `alice ${i}`;
        const writer = i % 2 === 0 ? a : b;
        const reader = i % 2 === 0 ? b : a;
        // Alice's write request, which also reads its write back (the primary: the shard was written in it)...
        await request('alice', async () => {
          await insert(writer, v);
          expect(await values(writer)).toContain(v);
          await writer.recordWrites();
        });
        // ...and her next request, on the other instance: never older than her write.
        before = onReplica(reader);
        expect(await request('alice', () => values(reader))).toContain(v);
        expect(onReplica(reader)).toBe(before);
        // Bob wrote nothing: the replica (paused, still within the generous bound) serves him its older snapshot.
        before = onReplica(reader);
        expect(await request('bob', () => values(reader))).toEqual(['before']);
        expect(onReplica(reader)).toBe(before + 1);
      }
      // Internal reads (no viewer) are bounded-stale only.
      expect(await values(a)).toEqual(['before']);
    } finally {
      await replicaAdmin.query('SELECT pg_wal_replay_resume()');
    }
    // Once the replica replayed her writes, Alice's reads go back to it.
    await waitUntil('the replica replayed everything', caughtUp);
    await b.probeReplicas();
    before = onReplica(b);
    expect(await request('alice', () => values(b))).toHaveLength(11);
    expect(onReplica(b)).toBe(before + 1);
    // Caught up and idle: no lag, however long ago the last transaction was replayed.
    await waitUntil('the idle replica shows no lag', async () => {
      await b.probeReplicas();
      const stats = b.replicaStats()[0]!;
      return stats.healthy && stats.lagBytes === 0 && stats.lagSeconds === 0;
    });
    expect(b.replicaStats()[0]).toMatchObject({ database, replica: 0, healthy: true });
  });

  it('skips a replica lagging past the bound, and uses it again once it caught up', async () => {
    const db = open({ maxLagMs: 300 });
    await waitUntil('the replica is healthy', () => healthy(db));
    await replicaAdmin.query('SELECT pg_wal_replay_pause()');
    try {
      await insert(db, 'while paused');
      await waitUntil('the replica counts as lagging', async () => !(await healthy(db)));
      const stats = db.replicaStats()[0]!;
      expect(stats.lagBytes).toBeGreaterThan(0);
      expect(stats.lagSeconds).toBeGreaterThan(0.3);
      const before = onReplica(db);
      // Nobody's own write here: the replica is skipped only because it lags.
      expect(await values(db)).toContain('while paused');
      expect(onReplica(db)).toBe(before);
    } finally {
      await replicaAdmin.query('SELECT pg_wal_replay_resume()');
    }
    await waitUntil('the replica caught up and is healthy again', () => healthy(db));
    const before = onReplica(db);
    expect(await values(db)).toContain('while paused');
    expect(onReplica(db)).toBe(before + 1);
  });

  it('reads a shard placed on another server on its primary (the replicas were those of its former server)', async () => {
    const db = open();
    await waitUntil('the replica is healthy', () => healthy(db));
    await insert(db, 'placed');
    // Another URL of the same primary (a move as the topology would announce it) is enough to retire the replicas.
    db.place(0, primary.url.replace('127.0.0.1', 'localhost'));
    expect(db.replicaStats()).toEqual([]);
    expect(await values(db)).toContain('placed');
  });

  it('moves reads to the primary when the replica is killed, without errors, and back when it returns', async () => {
    const db = open();
    await waitUntil('the replica is healthy', () => healthy(db));
    await insert(db, 'kill');
    const failures: unknown[] = [];
    let reads = 0;
    let stop = false;
    const load = (async () => {
      while (!stop) {
        await request(null, () => values(db)).then(
          () => reads++,
          (err: unknown) => failures.push(err),
        );
      }
    })();
    await waitUntil('some reads ran on the replica', () => onReplica(db) > 20);
    await replicaAdmin.end().catch(() => undefined);
    await replica.stop('immediate');
    const atKill = reads;
    await waitUntil('the replica counts as unhealthy', async () => !(await healthy(db)));
    await waitUntil('reads went on after the kill', () => reads > atKill + 50);
    stop = true;
    await load;
    expect(failures).toEqual([]);
    const down = db.replicaStats()[0]!;
    expect(down.healthy).toBe(false);

    await replica.startServer();
    replicaAdmin = await connectReplica();
    await waitUntil('the replica is healthy again', () => healthy(db), 30_000);
    await waitUntil('reads use the replica again', async () => {
      const before = onReplica(db);
      await values(db);
      return onReplica(db) > before;
    });
  }, 90_000);
});
