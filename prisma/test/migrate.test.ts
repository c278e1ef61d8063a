import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { ShardMap } from '@chatgraph/ids';
import { MigrationChecksumError, databaseUrl, migrationsDirFor, runMigrations } from '../src';
import { dropTestDatabases, testConfig } from '@chatgraph/testing';

describe('shard-aware migration runner', () => {
  const config = testConfig({ USERS_SHARDS: '3', CHATS_SHARDS: '1' });
  const map = ShardMap.even(config.DB_NAME_PREFIX, 'users', 3);
  let dir: string;

  beforeAll(() => {
    // A private copy of the users migrations, so the test can edit a file.
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chatgraph-migrations-'));
    fs.cpSync(migrationsDirFor('users'), dir, { recursive: true });
  });
  afterAll(async () => {
    await dropTestDatabases(config);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('creates missing databases and applies every migration to every shard, once, even when two run at once', async () => {
    const lines: string[] = [];
    const [a, b] = await Promise.all([
      runMigrations({ baseUrl: config.DATABASE_URL, map, migrationsDirs: [dir], log: (l) => lines.push(l) }),
      runMigrations({ baseUrl: config.DATABASE_URL, map, migrationsDirs: [dir] }),
    ]);
    const migrations = fs.readdirSync(dir).sort();
    expect(migrations[0]).toBe('20260101000000_init');
    for (let i = 0; i < 3; i++) {
      // on each shard, every migration was applied once, by one of the two runners
      expect([...a[i]!.applied, ...b[i]!.applied].sort()).toEqual(migrations);
    }
    expect(lines).toHaveLength(3);
    for (const shard of map.shards) {
      const client = new Client({ connectionString: databaseUrl(config.DATABASE_URL, shard.database) });
      await client.connect();
      const { rows } = await client.query('SELECT name FROM _chatgraph_migrations ORDER BY name');
      expect(rows.map((r) => r.name)).toEqual(migrations);
      const tables = await client.query("SELECT to_regclass('users') AS t");
      expect(tables.rows[0].t).toBe('users');
      await client.end();
    }
  });

  it('changes nothing and says so when run again', async () => {
    const lines: string[] = [];
    const results = await runMigrations({
      baseUrl: config.DATABASE_URL,
      map,
      migrationsDirs: [dir],
      log: (l) => lines.push(l),
    });
    expect(results.every((r) => r.applied.length === 0 && !r.createdDatabase)).toBe(true);
    expect(lines.every((l) => l.includes('up to date, nothing to do'))).toBe(true);
  });

  it('applies a new migration to every shard', async () => {
    fs.mkdirSync(path.join(dir, '20260201000000_add_bio'));
    fs.writeFileSync(
      path.join(dir, '20260201000000_add_bio', 'migration.sql'),
      'ALTER TABLE users ADD COLUMN bio text;',
    );
    const results = await runMigrations({ baseUrl: config.DATABASE_URL, map, migrationsDirs: [dir] });
    expect(results.map((r) => r.applied)).toEqual([
      ['20260201000000_add_bio'],
      ['20260201000000_add_bio'],
      ['20260201000000_add_bio'],
    ]);
  });

  it('refuses to run when an applied migration file was edited, and changes nothing', async () => {
    fs.mkdirSync(path.join(dir, '20260301000000_more'));
    fs.writeFileSync(path.join(dir, '20260301000000_more', 'migration.sql'), 'ALTER TABLE users ADD COLUMN more text;');
    fs.appendFileSync(path.join(dir, '20260201000000_add_bio', 'migration.sql'), '\n-- edited\n');
    await expect(runMigrations({ baseUrl: config.DATABASE_URL, map, migrationsDirs: [dir] })).rejects.toThrow(
      MigrationChecksumError,
    );
    const client = new Client({ connectionString: databaseUrl(config.DATABASE_URL, map.shards[0]!.database) });
    await client.connect();
    const { rows } = await client.query(
      "SELECT count(*)::int AS n FROM _chatgraph_migrations WHERE name = '20260301000000_more'",
    );
    expect(rows[0].n).toBe(0);
    await client.end();
  });
});
