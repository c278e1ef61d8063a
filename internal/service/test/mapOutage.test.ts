import { GraphQLError } from 'graphql';
import Redis, { Cluster } from 'ioredis';
import { Client } from 'pg';
import { ShardedDatabase, UsersPrismaClient, databaseUrl } from '@chatgraph/db';
import { userError } from '@chatgraph/errors';
import { ShardMap } from '@chatgraph/ids';
import { freePort, testConfig } from '@chatgraph/testing';
import { infrastructureFailure, mapOutage } from '../src';

// Real failures where they are cheap to cause: a port nothing listens on, a database that refuses connections,
// a statement timeout, a terminated backend, a Redis that is not there. The rest of the SQLSTATE table is checked
// with errors shaped as pg makes them.

const { DATABASE_URL } = testConfig();

/** The error `run` rejects with (fails the test when it resolves). */
async function failure(run: () => Promise<unknown>): Promise<unknown> {
  return run().then(
    (value) => {
      throw new Error(`expected a failure, got ${JSON.stringify(value)}`);
    },
    (err: unknown) => err,
  );
}

/** One Prisma client on `database` of the server at `baseUrl` (as the services build them). */
function prismaOn(baseUrl: string, database: string): ShardedDatabase<InstanceType<typeof UsersPrismaClient>> {
  return new ShardedDatabase({
    map: new ShardMap([{ index: 0, database, from: 0, to: 4095 }]),
    baseUrl,
    poolSize: 1,
    createClient: (adapter) => new UsersPrismaClient({ adapter }),
  });
}

async function admin<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: databaseUrl(DATABASE_URL, 'postgres') });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A pg-shaped server error (what `pg` raises for an ErrorResponse). */
function pgError(code: string, message = 'server says no'): Error {
  return Object.assign(new Error(message), { code, severity: 'ERROR' });
}

describe('infrastructureFailure, on real errors', () => {
  it('knows a Postgres port nothing listens on, through pg and through Prisma', async () => {
    const url = `postgresql://postgres@127.0.0.1:${await freePort()}`;
    const client = new Client({ connectionString: databaseUrl(url, 'postgres') });
    const refused = await failure(() => client.connect());
    expect(infrastructureFailure(refused)).toBe('network');

    const db = prismaOn(url, 'nothing_here');
    try {
      expect(infrastructureFailure(await failure(() => db.clientAt(0).$queryRaw`SELECT 1`))).toBe('postgres');
      expect(infrastructureFailure(await failure(() => db.clientAt(0).user.findMany()))).toBe('postgres');
      const tx = await failure(() => db.clientAt(0).$transaction(async (t) => t.$queryRaw`SELECT 1`));
      expect(infrastructureFailure(tx)).toBe('postgres');
    } finally {
      await db.close();
    }
  });

  it('knows a database that does not accept connections (55000), and the Prisma error around it', async () => {
    const name = `${testConfig().DB_NAME_PREFIX}_closed`;
    await admin((c) => c.query(`CREATE DATABASE "${name}" ALLOW_CONNECTIONS false`));
    const db = prismaOn(DATABASE_URL, name);
    try {
      const client = new Client({ connectionString: databaseUrl(DATABASE_URL, name) });
      const direct = await failure(() => client.connect());
      expect((direct as { code?: string }).code).toBe('55000');
      expect(infrastructureFailure(direct)).toBe('postgres');
      expect(infrastructureFailure(await failure(() => db.clientAt(0).$queryRaw`SELECT 1`))).toBe('postgres');
    } finally {
      await db.close();
      await admin((c) => c.query(`DROP DATABASE "${name}"`));
    }
  });

  it('knows a statement cancelled by its timeout (57014) and a connection an operator ended (57P01)', async () => {
    const db = prismaOn(DATABASE_URL, 'postgres');
    try {
      const timedOut = await failure(() =>
        db.clientAt(0).$transaction(async (tx) => {
          await tx.$executeRawUnsafe('SET LOCAL statement_timeout = 10');
          await tx.$queryRaw`SELECT pg_sleep(2)`;
        }),
      );
      expect(infrastructureFailure(timedOut)).toBe('postgres');
      const terminated = await failure(() => db.clientAt(0).$queryRaw`SELECT pg_terminate_backend(pg_backend_pid())`);
      expect(infrastructureFailure(terminated)).toBe('postgres');
    } finally {
      await db.close();
    }
  });

  it('lets errors about the statement itself through: syntax, unique violation', async () => {
    const db = prismaOn(DATABASE_URL, 'postgres');
    try {
      const syntax = await failure(() => db.clientAt(0).$queryRawUnsafe('SELEC 1'));
      expect(infrastructureFailure(syntax)).toBeNull();
      const duplicate = await failure(() =>
        db.clientAt(0).$transaction(async (tx) => {
          await tx.$executeRawUnsafe('CREATE TEMP TABLE t (id int PRIMARY KEY)');
          await tx.$executeRawUnsafe('INSERT INTO t VALUES (1), (1)');
        }),
      );
      expect(infrastructureFailure(duplicate)).toBeNull();
    } finally {
      await db.close();
    }
  });

  it('knows a Redis that is not there', async () => {
    const redis = new Redis(`redis://127.0.0.1:${await freePort()}`, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      retryStrategy: () => null,
      lazyConnect: true,
    });
    redis.on('error', () => undefined);
    try {
      expect(infrastructureFailure(await failure(() => redis.get('k')))).toBe('redis');
    } finally {
      redis.disconnect();
    }
  });

  it('knows a Redis Cluster that is not there', async () => {
    const cluster = new Cluster([{ host: '127.0.0.1', port: await freePort() }], {
      enableOfflineQueue: false,
      clusterRetryStrategy: () => null,
      lazyConnect: true,
    });
    cluster.on('error', () => undefined);
    try {
      expect(infrastructureFailure(await failure(() => cluster.get('k')))).toBe('redis');
      await cluster.connect().catch(() => undefined);
      expect(infrastructureFailure(await failure(() => cluster.get('k')))).toBe('redis');
    } finally {
      cluster.disconnect();
    }
  });
});

describe('infrastructureFailure, by SQLSTATE', () => {
  it.each([
    ['08006', 'connection failure'],
    ['08001', 'cannot establish a connection'],
    ['08P01', 'protocol violation'],
    ['53300', 'too many connections'],
    ['57P01', 'admin shutdown'],
    ['57P02', 'crash shutdown'],
    ['57P03', 'cannot connect now'],
    ['57014', 'query cancelled'],
  ])('%s (%s) is an outage', (code) => {
    expect(infrastructureFailure(pgError(code))).toBe('postgres');
  });

  it('55000 is one only when the database refuses connections or shuts down', () => {
    expect(infrastructureFailure(pgError('55000', 'database "x" is not currently accepting connections'))).toBe(
      'postgres',
    );
    expect(infrastructureFailure(pgError('55000', 'the database system is shutting down'))).toBe('postgres');
    expect(infrastructureFailure(pgError('55000', 'cannot drop the currently open database'))).toBeNull();
  });

  it.each(['23505', '40P01', '42601', '22P02', '53100'])('%s is not an outage', (code) => {
    expect(infrastructureFailure(pgError(code))).toBeNull();
  });

  it('looks inside AggregateError and cause', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED ::1:5432'), { code: 'ECONNREFUSED' });
    expect(infrastructureFailure(new AggregateError([refused], 'all failed'))).toBe('network');
    expect(infrastructureFailure(new Error('wrapped', { cause: pgError('57P01') }))).toBe('postgres');
    expect(infrastructureFailure(new TypeError('x is undefined'))).toBeNull();
  });
});

describe('mapOutage', () => {
  it('turns an outage into SERVICE_UNAVAILABLE without the cause, and passes anything else through', () => {
    const mapped = mapOutage(pgError('57P01', 'terminating connection due to administrator command'), 'chats');
    expect(mapped).toBeInstanceOf(GraphQLError);
    expect((mapped as GraphQLError).extensions).toEqual({ code: 'SERVICE_UNAVAILABLE' });
    expect((mapped as GraphQLError).message).toBe(
      'The chats service cannot reach its database right now; try again in a moment.',
    );
    const bug = new TypeError('x is undefined');
    expect(mapOutage(bug, 'chats')).toBe(bug);
    const refused = userError('FORBIDDEN', 'no');
    expect(mapOutage(refused, 'chats')).toBe(refused);
  });
});
