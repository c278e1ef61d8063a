import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Client } from 'pg';
import { databaseUrl } from '../ShardedDatabase';
import { TopologyError } from './Topology';
import { withClient as baseWithClient } from './withClient';

const run = promisify(execFile);

/*
 * The Postgres side of a shard move (see ShardMover, which orders these steps, records them and announces the fence):
 * the logical-replication copy, its catch-up, closing the old home, and detaching the copy.
 */

/** Schema, publication, subscription; returns when every table's initial copy is done. */
export async function copyShard(
  sourceDb: string,
  targetServer: string,
  targetDb: string,
  database: string,
  names: MoveNames,
  log: (line: string) => void,
): Promise<void> {
  const level = await withClient(sourceDb, (c) => c.query<{ wal_level: string }>('SHOW wal_level'));
  if (level.rows[0]?.wal_level !== 'logical')
    throw new TopologyError(
      `the old home's server runs with wal_level = ${level.rows[0]?.wal_level}; a move needs wal_level = logical (set it and restart that server)`,
    );
  const subscribed = await withClient(databaseUrl(targetServer, 'postgres'), async (c) => {
    const db = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (!db.rowCount) return false;
    return withClient(
      targetDb,
      async (t) =>
        (await t.query('SELECT 1 FROM pg_subscription WHERE subname = $1', [names.subscription])).rowCount! > 0,
    );
  });
  if (!subscribed) {
    // Nothing of an earlier attempt is kept: the database is not in any topology yet.
    await withClient(databaseUrl(targetServer, 'postgres'), async (c) => {
      await c.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
      await c.query(`CREATE DATABASE "${database}"`);
    });
    const { stdout: schema } = await run(
      'pg_dump',
      ['--schema-only', '--no-owner', '--no-publications', '--no-subscriptions', '-d', sourceDb],
      {
        maxBuffer: 64 << 20,
      },
    );
    await psql(targetDb, schema);
    log('schema copied');
    await withClient(sourceDb, async (c) => {
      const exists = await c.query('SELECT 1 FROM pg_publication WHERE pubname = $1', [names.publication]);
      if (!exists.rowCount) await c.query(`CREATE PUBLICATION ${names.publication} FOR ALL TABLES`);
      // A slot of an earlier attempt whose subscription is gone would block the name.
      await c.query(
        'SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1 AND NOT active',
        [names.slot],
      );
    });
    await withClient(targetDb, (c) =>
      c.query(
        `CREATE SUBSCRIPTION ${names.subscription} CONNECTION '${sourceDb.replace(/'/g, "''")}' PUBLICATION ${names.publication} WITH (copy_data = true, slot_name = '${names.slot}')`,
      ),
    );
    log('copying rows (logical replication)');
  }
  let last = '';
  for (;;) {
    const { rows } = await withClient(targetDb, (c) =>
      c.query<{ total: number; ready: number }>(
        `SELECT count(*)::int AS total, count(*) FILTER (WHERE srsubstate IN ('r', 's'))::int AS ready
           FROM pg_subscription_rel r JOIN pg_subscription s ON s.oid = r.srsubid WHERE s.subname = $1`,
        [names.subscription],
      ),
    );
    const { total, ready } = rows[0]!;
    const line = `copy: ${ready}/${total} tables copied`;
    if (line !== last) log((last = line));
    if (total > 0 && ready === total) return;
    await sleep(250);
  }
}

/** Waits until the subscription's slot has confirmed everything written on the old home but `bytes`. */
export async function waitForLag(
  sourceDb: string,
  slot: string,
  bytes: number,
  log: (line: string) => void,
): Promise<void> {
  let lastLogged = 0;
  for (;;) {
    const { rows } = await withClient(sourceDb, (c) =>
      c.query<{ lag: string | null }>(
        `SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::bigint::text AS lag
           FROM pg_replication_slots WHERE slot_name = $1`,
        [slot],
      ),
    );
    if (!rows[0]) throw new TopologyError(`replication slot ${slot} is gone; run the move again to start over`);
    const lag = Number(rows[0].lag ?? Number.MAX_SAFE_INTEGER);
    if (lag <= bytes) return;
    if (Date.now() - lastLogged > 1000) {
      log(`catch-up: ${lag} bytes behind`);
      lastLogged = Date.now();
    }
    await sleep(100);
  }
}

/**
 * Lets requests under way finish (up to `drainMs`), then makes the old database read-only and closes every
 * session on it, so nothing can be written there after this.
 */
export async function closeOldHome(sourceDb: string, database: string, drainMs: number): Promise<string> {
  return withClient(sourceDb, async (c) => {
    const until = Date.now() + drainMs;
    for (;;) {
      const { rows } = await c.query<{ busy: number }>(
        `SELECT count(*)::int AS busy FROM pg_stat_activity
          WHERE datname = $1 AND pid <> pg_backend_pid() AND backend_type = 'client backend'
            AND state IN ('active', 'idle in transaction', 'idle in transaction (aborted)')
            AND application_name <> 'chatgraph-relay'`,
        [database],
      );
      if (rows[0]!.busy === 0 || Date.now() >= until) break;
      await sleep(20);
    }
    await c.query(`ALTER DATABASE "${database}" SET default_transaction_read_only = on`);
    await c.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE datname = $1 AND pid <> pg_backend_pid() AND backend_type = 'client backend'`,
      [database],
    );
    // Every write to this database is in the WAL before this position.
    const { rows } = await c.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
    return rows[0]!.lsn;
  });
}

/** Waits until the subscription's slot has confirmed the WAL up to `lsn`. */
export async function waitForLsn(sourceDb: string, slot: string, lsn: string): Promise<void> {
  for (;;) {
    const { rows } = await withClient(sourceDb, (c) =>
      c.query<{ done: boolean }>(
        'SELECT confirmed_flush_lsn >= $2::pg_lsn AS done FROM pg_replication_slots WHERE slot_name = $1',
        [slot, lsn],
      ),
    );
    if (!rows[0]) throw new TopologyError(`replication slot ${slot} is gone; run the move again to start over`);
    if (rows[0].done) return;
    await sleep(10);
  }
}

/** Sequences, the event log's clock, then the subscription is dropped (the copy is now on its own). */
export async function detach(sourceDb: string, targetDb: string, names: MoveNames): Promise<void> {
  const sequences = await withClient(sourceDb, (c) =>
    c.query<{ name: string; last_value: string | null }>(
      `SELECT format('%I.%I', schemaname, sequencename) AS name, last_value::text FROM pg_sequences`,
    ),
  );
  await withClient(targetDb, async (c) => {
    for (const s of sequences.rows)
      if (s.last_value !== null) await c.query('SELECT setval($1::regclass, $2::bigint, true)', [s.name, s.last_value]);
    const sub = await c.query('SELECT 1 FROM pg_subscription WHERE subname = $1', [names.subscription]);
    if (sub.rowCount) {
      await c.query(`ALTER SUBSCRIPTION ${names.subscription} DISABLE`);
      await c.query(`DROP SUBSCRIPTION ${names.subscription}`);
    }
    await advanceEventLogClock(c);
  });
}

export interface MoveNames {
  publication: string;
  subscription: string;
  slot: string;
}

export function moveNames(database: string): MoveNames {
  const base = `cgmove_${database}`.slice(0, 60);
  return { publication: base, subscription: base, slot: base };
}

/**
 * The chats event log orders rows by the id of the transaction that wrote them (`chat_events.xid`), which is only
 * meaningful on one server. On the new server transaction ids start elsewhere, so the rows written there must still
 * order after every copied one: the column's default and the relay's bound get an offset (`event_log_clock`) that
 * places the new server's transaction ids above the highest copied one. Shards without an event log skip this.
 */
async function advanceEventLogClock(c: Client): Promise<void> {
  const has = await c.query(`SELECT 1 FROM pg_tables WHERE schemaname = 'public' AND tablename = 'event_log_clock'`);
  if (!has.rowCount) return;
  const { rows } = await c.query<{ offset: string }>(
    `SELECT GREATEST(0, GREATEST((SELECT coalesce(max(xid), 0) FROM chat_events),
                                 (SELECT coalesce(max(xid), 0) FROM event_relay_cursors))
                      + 1 - pg_snapshot_xmin(pg_current_snapshot())::text::bigint)::text AS offset`,
  );
  const offset = BigInt(rows[0]!.offset);
  await c.query('BEGIN');
  await c.query('UPDATE event_log_clock SET xid_offset = $1', [offset.toString()]);
  await c.query(
    `ALTER TABLE chat_events ALTER COLUMN xid SET DEFAULT (pg_current_xact_id()::text::bigint + ${offset.toString()})`,
  );
  await c.query('COMMIT');
}

export async function countRows(url: string): Promise<number> {
  return withClient(url, async (c) => {
    const { rows: tables } = await c.query<{ name: string }>(
      `SELECT format('%I.%I', schemaname, tablename) AS name FROM pg_tables WHERE schemaname = 'public'`,
    );
    let total = 0;
    for (const t of tables)
      total += Number((await c.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${t.name}`)).rows[0]!.n);
    return total;
  });
}

async function psql(url: string, sql: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const child = execFile(
      'psql',
      ['-q', '-v', 'ON_ERROR_STOP=1', '-d', url],
      { maxBuffer: 16 << 20 },
      (err, _out, stderr) => (err ? reject(new Error(`psql: ${stderr || err.message}`)) : resolve()),
    );
    child.stdin!.end(sql);
  });
}

/** A connection of the move's own to `url` (see {@link baseWithClient}). */
export function withClient<T>(url: string, work: (c: Client) => Promise<T>): Promise<T> {
  return baseWithClient(url, work, 'chatgraph-shards-move');
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
