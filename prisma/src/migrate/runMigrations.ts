import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { databaseUrl } from '../ShardedDatabase';
import type { PhysicalShard, ShardMap } from '@chatgraph/ids';

/** A migration file: `<dir>/<timestamp>_<name>/migration.sql` (Prisma's layout). */
export interface MigrationFile {
  name: string;
  sql: string;
  checksum: string;
}

/** What the runner did on one shard. */
export interface ShardMigrationResult {
  shard: PhysicalShard;
  createdDatabase: boolean;
  applied: string[];
  alreadyApplied: number;
}

/** Refusal to run because an applied migration's file changed since it was applied. */
export class MigrationChecksumError extends Error {
  constructor(
    readonly database: string,
    readonly migration: string,
  ) {
    super(
      `${database}: migration ${migration} was edited after it was applied (checksum differs). ` +
        'Applied migrations are immutable: restore the file and add a new migration instead.',
    );
    this.name = 'MigrationChecksumError';
  }
}

/** Options of {@link runMigrations}. */
export interface RunMigrationsOptions {
  /** Server URL without a database. */
  baseUrl: string;
  map: ShardMap;
  /** The server each shard lives on, when they are on several (see the topology). @default `baseUrl` */
  placement?: (shard: PhysicalShard) => string;
  /**
   * Folders holding `<timestamp>_<name>/migration.sql`: the shared set and the service's own (see
   * {@link readMigrationSets}).
   */
  migrationsDirs: readonly string[];
  /** Receives one line per shard. @default no output */
  log?: (line: string) => void;
}

// One key for every chatgraph migration run; held per database, so runs on different shards do not wait on each
// other but two runs on the same shard are serialized.
const ADVISORY_LOCK_KEY = 0x63686174; // "chat"

/**
 * Reads several migration folders as ONE history, in name (timestamp) order. Every service database gets the shared
 * set (`prisma/shared/migrations`: what all of them have in common, such as the id generator) and its service's own;
 * interleaving by timestamp applies a fresh database in the order the files were written, and a database migrated
 * before a shared migration existed simply finds it pending. Names are the ledger's keys, so two sets may not use
 * the same one.
 */
export function readMigrationSets(dirs: readonly string[]): MigrationFile[] {
  const files = dirs.flatMap((dir) => readMigrations(dir));
  const seen = new Set<string>();
  for (const file of files) {
    if (seen.has(file.name)) throw new Error(`migration ${file.name} exists in more than one of ${dirs.join(', ')}`);
    seen.add(file.name);
  }
  return files.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Reads the migration files of a folder, in name (timestamp) order. */
export function readMigrations(dir: string): MigrationFile[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && fs.existsSync(path.join(dir, d.name, 'migration.sql')))
    .map((d) => d.name)
    .sort()
    .map((name) => {
      const sql = fs.readFileSync(path.join(dir, name, 'migration.sql'), 'utf8');
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });
}

async function ensureDatabase(baseUrl: string, database: string): Promise<boolean> {
  const admin = new Client({ connectionString: databaseUrl(baseUrl, 'postgres') });
  await admin.connect();
  try {
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (exists.rowCount) return false;
    try {
      // The name comes from the validated config (DB_NAME_PREFIX regex), never from a request.
      await admin.query(`CREATE DATABASE "${database}"`);
      return true;
    } catch (err) {
      // Another runner created it between our check and our CREATE: that is fine.
      const code = (err as { code?: string }).code;
      if (code === '42P04' || code === '23505') return false;
      throw err;
    }
  } finally {
    await admin.end();
  }
}

async function migrateShard(
  baseUrl: string,
  shard: PhysicalShard,
  files: MigrationFile[],
): Promise<ShardMigrationResult> {
  const createdDatabase = await ensureDatabase(baseUrl, shard.database);
  const client = new Client({ connectionString: databaseUrl(baseUrl, shard.database) });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [ADVISORY_LOCK_KEY]);
    await client.query(`CREATE TABLE IF NOT EXISTS _chatgraph_migrations (
      name       text PRIMARY KEY,
      checksum   text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const { rows } = await client.query<{ name: string; checksum: string }>(
      'SELECT name, checksum FROM _chatgraph_migrations',
    );
    const applied = new Map(rows.map((r) => [r.name, r.checksum]));
    // Check every applied file before applying anything, so a refused run changes nothing.
    for (const file of files) {
      const checksum = applied.get(file.name);
      if (checksum !== undefined && checksum !== file.checksum)
        throw new MigrationChecksumError(shard.database, file.name);
    }
    const done: string[] = [];
    for (const file of files) {
      if (applied.has(file.name)) continue;
      await client.query('BEGIN');
      try {
        await client.query(file.sql);
        await client.query('INSERT INTO _chatgraph_migrations (name, checksum) VALUES ($1, $2)', [
          file.name,
          file.checksum,
        ]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK');
        throw new Error(`${shard.database}: migration ${file.name} failed: ${(err as Error).message}`);
      }
      done.push(file.name);
    }
    return { shard, createdDatabase, applied: done, alreadyApplied: files.length - done.length };
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [ADVISORY_LOCK_KEY]).catch(() => undefined);
    await client.end();
  }
}

/**
 * Creates any missing shard database and applies pending migrations (of every folder in `migrationsDirs`, merged by
 * {@link readMigrationSets}) to every shard of a map, each in its own
 * transaction under an advisory lock (two runners at once are safe). Idempotent; refuses with
 * {@link MigrationChecksumError} when an applied migration's file changed.
 */
export async function runMigrations(options: RunMigrationsOptions): Promise<ShardMigrationResult[]> {
  const files = readMigrationSets(options.migrationsDirs);
  const results: ShardMigrationResult[] = [];
  for (const shard of options.map.shards) {
    const result = await migrateShard(options.placement?.(shard) ?? options.baseUrl, shard, files);
    results.push(result);
    options.log?.(describe(result));
  }
  return results;
}

/** One human line about a shard's result. */
export function describe(r: ShardMigrationResult): string {
  const where = `${r.shard.database} (logical ${r.shard.from}-${r.shard.to})`;
  const parts: string[] = [];
  if (r.createdDatabase) parts.push('created database');
  if (r.applied.length) parts.push(`applied ${r.applied.join(', ')}`);
  else
    parts.push(`up to date, nothing to do (${r.alreadyApplied} migration${r.alreadyApplied === 1 ? '' : 's'} applied)`);
  return `${where}: ${parts.join('; ')}`;
}
