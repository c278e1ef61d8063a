import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { ShardMap, nextIdFunctionSql } from '@chatgraph/ids';
import {
  databaseUrl,
  migrationsDirFor,
  migrationsDirsFor,
  readMigrationSets,
  readMigrations,
  runMigrations,
  sharedMigrationsDir,
} from '../src';
import { dropTestDatabases, testConfig } from '@chatgraph/testing';

const DEFINES_NEXT_ID = /CREATE (OR REPLACE )?FUNCTION chatgraph_next_id\b/;

/** The body between the function's `$$` quotes. */
function functionBody(sql: string): string {
  const match = /AS \$\$([\s\S]*?)\$\$;/.exec(sql);
  if (!match) throw new Error('no $$-quoted function body');
  return match[1]!;
}

async function query<T>(url: string, sql: string): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows as T[];
  } finally {
    await client.end();
  }
}

describe('the id generator in SQL', () => {
  it('is defined last by a shared migration whose text is rendered from the TypeScript id layout', () => {
    const newest = readMigrations(sharedMigrationsDir())
      .filter((m) => DEFINES_NEXT_ID.test(m.sql))
      .at(-1);
    // On failure: the layout in internal/ids changed. Add a NEW shared migration with the output of
    // nextIdFunctionSql() (applied migrations are immutable), e.g.
    // node -e "process.stdout.write(require('./internal/ids/dist').nextIdFunctionSql())"
    expect(newest?.sql).toBe(nextIdFunctionSql());
  });

  it('comes after every other definition in the history of each service database', () => {
    // The init migrations (applied, so frozen) still create the function; the shared migration comes after them
    // and replaces it, so what a database runs is the rendered one.
    for (const service of ['users', 'chats'] as const) {
      const defining = readMigrationSets(migrationsDirsFor(service)).filter((m) => DEFINES_NEXT_ID.test(m.sql));
      expect(defining.at(-1)?.sql).toBe(nextIdFunctionSql());
    }
  });
});

describe('shared migrations', () => {
  const config = testConfig({ USERS_SHARDS: '2', CHATS_SHARDS: '1' });
  const map = ShardMap.even(config.DB_NAME_PREFIX, 'users', 2);
  let dir: string;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chatgraph-shared-'));
  });
  afterAll(async () => {
    await dropTestDatabases(config);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('reach a database migrated before they existed, which then runs the rendered id function', async () => {
    // What a database migrated with the service's files alone looks like.
    await runMigrations({ baseUrl: config.DATABASE_URL, map, migrationsDirs: [migrationsDirFor('users')] });
    const results = await runMigrations({
      baseUrl: config.DATABASE_URL,
      map,
      migrationsDirs: migrationsDirsFor('users'),
    });
    const shared = readMigrations(sharedMigrationsDir()).map((m) => m.name);
    expect(results.map((r) => r.applied)).toEqual([shared, shared]);
    for (const shard of map.shards) {
      const url = databaseUrl(config.DATABASE_URL, shard.database);
      const [fn] = await query<{ prosrc: string }>(
        url,
        "SELECT prosrc FROM pg_proc WHERE proname = 'chatgraph_next_id'",
      );
      expect(fn!.prosrc).toBe(functionBody(nextIdFunctionSql()));
      const [row] = await query<{ id: string }>(url, 'SELECT chatgraph_next_id(42)::text AS id');
      expect(BigInt(row!.id) > 0n).toBe(true);
    }
  });

  it('refuse two folders that use the same migration name', () => {
    fs.cpSync(sharedMigrationsDir(), dir, { recursive: true });
    expect(() => readMigrationSets([sharedMigrationsDir(), dir])).toThrow(/more than one/);
  });
});
