import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { databaseUrl } from '../ShardedDatabase';
import { serverUrl, TopologyError, type ShardedService } from './Topology';
import {
  announce,
  fenceAckChannel,
  type AnnouncementPublisher,
  type AnnouncementSubscriber,
  type FenceAck,
} from './TopologyFollower';
import type { TopologyStore } from './TopologyStore';

const run = promisify(execFile);

/** The steps of a move, in order; a move's row in the control database names the next one. */
export const MOVE_STEPS = ['copy', 'catch-up', 'fence', 'switch', 'cleanup', 'done'] as const;
export type MoveStep = (typeof MOVE_STEPS)[number];

/** Options of {@link ShardMover.move}. */
export interface ShardMoveOptions {
  service: ShardedService;
  /** The logical range; it must be exactly one physical shard's. */
  from: number;
  to: number;
  /** A server of the topology (by name), or a new one's primary URL (named `<host>:<port>`). */
  target: string;
  /** Lines of progress. */
  log?: (line: string) => void;
  /** How long to let requests under way on the moving shard finish once it is fenced. @default 3000 */
  drainMs?: number;
  /** How long after the switch to drop the old copy (processes that missed the announcement poll by then). @default 30000 */
  dropSourceAfterMs?: number;
  /** Replication lag (bytes) under which the copy counts as caught up and the fence starts. @default 1 MiB */
  catchUpBytes?: number;
}

/** What a move did. */
export interface ShardMoveReport {
  service: ShardedService;
  database: string;
  from: string;
  to: string;
  /** The topology version that placed the shard on its new server. */
  version: number;
  /** How long new requests to the moving shard were held (fence announced → new placement announced), ms. */
  writePauseMs: number;
  /** Rows the copy holds (all tables), counted on the new server before the switch. */
  rows: number;
  /** Whether this run resumed an interrupted move. */
  resumed: boolean;
}

interface MoveRow {
  id: string;
  to_server: string;
  step: MoveStep;
  detail: { targetUrl?: string; fencedAt?: number; writePauseMs?: number; version?: number; rows?: number };
  started_at: Date;
}

/**
 * Moves one physical shard (a database holding a logical range) to another Postgres server while the services
 * keep running:
 *
 * 1. **copy** — the schema with `pg_dump --schema-only`, then logical replication (a publication on the old home, a
 *    subscription on the new one) copies every row and keeps streaming changes; progress per table.
 * 2. **catch-up** — waits until the subscription trails by less than `catchUpBytes`.
 * 3. **fence** — announces the fence (every process holds new requests to this shard only; other shards never
 *    pause), lets requests under way finish, then makes the old database read-only and closes its sessions (a
 *    process that missed the announcement cannot write there any more), waits until the copy has every change, copies
 *    sequence positions, detaches the subscription, and moves the event log's transaction-order clock forward so
 *    rows written on the new server order after every copied one.
 * 4. **switch** — stores the next topology version (the shard on its new server) and announces it: processes place
 *    the shard there and the held requests go on. The pause is reported.
 * 5. **cleanup** — drops the publication and, after `dropSourceAfterMs`, the old database.
 *
 * Every step is idempotent and recorded in the control database (`shard_moves`), so running the same command again
 * after an interruption resumes where it stopped. The old home needs `wal_level = logical`.
 */
export class ShardMover {
  /**
   * @param publisher announces fences and versions
   * @param subscriber hears processes confirm a fence (without it, the move relies on `drainMs` and the read-only
   *   backstop alone)
   */
  constructor(
    private readonly store: TopologyStore,
    private readonly publisher: AnnouncementPublisher,
    private readonly prefix: string,
    private readonly subscriber?: AnnouncementSubscriber,
  ) {}

  async move(options: ShardMoveOptions): Promise<ShardMoveReport> {
    const log = options.log ?? (() => undefined);
    await this.store.ensure();
    const topology = await this.store.latest();
    if (!topology) throw new TopologyError('no topology is stored yet: run `npm run db:migrate` first');
    const shard = topology.shardWithRange(options.service, options.from, options.to);
    const source = topology.placementOf(options.service, shard.index);

    let row = await this.openMove(options.service, shard.database);
    const resumed = row !== null;
    if (!row) {
      const targetName = topology.serverNamed(options.target) ?? this.newServerName(options.target);
      if (targetName === source.server) throw new TopologyError(`${shard.database} is on ${targetName} already`);
      const targetUrl = topology.document.servers[targetName]?.url ?? serverUrl(options.target);
      row = await this.startMove(options.service, shard.database, targetName, targetUrl);
      log(
        `moving ${options.service} ${shard.database} (logical ${shard.from}-${shard.to}) from ${source.server} to ${targetName}`,
      );
    } else {
      log(`resuming the move of ${shard.database} to ${row.to_server} at step "${row.step}"`);
    }
    const targetName = row.to_server;
    const targetUrl = row.detail.targetUrl!;
    const sourceDb = databaseUrl(source.url, shard.database);
    const targetDb = databaseUrl(targetUrl, shard.database);
    const names = moveNames(shard.database);
    const step = async (next: MoveStep, detail: MoveRow['detail'] = {}) => {
      row = await this.advance(row!, next, detail);
    };

    if (row.step === 'copy') {
      await this.copy(sourceDb, targetUrl, targetDb, shard.database, names, log);
      await step('catch-up');
    }
    if (row.step === 'catch-up') {
      await this.waitForLag(sourceDb, names.slot, options.catchUpBytes ?? 1 << 20, log);
      await step('fence');
    }
    if (row.step === 'fence') {
      const fencedAt = Date.now();
      await this.fence(options.service, shard.database, options.drainMs ?? 3000, log);
      const lastWrite = await this.closeOldHome(sourceDb, shard.database, options.drainMs ?? 3000);
      // (Resumed after the subscription was detached: the copy had every change by then.)
      const attached = await withClient(targetDb, async (c) =>
        Boolean((await c.query('SELECT 1 FROM pg_subscription WHERE subname = $1', [names.subscription])).rowCount),
      );
      if (attached) await this.waitForLsn(sourceDb, names.slot, lastWrite);
      await this.detach(sourceDb, targetDb, names);
      await step('switch', { fencedAt });
    }
    if (row.step === 'switch') {
      const latest = (await this.store.latest())!;
      let version = latest.version;
      if (latest.placementOf(options.service, shard.index).server !== targetName) {
        const next = latest.withPlacement(options.service, shard.index, { name: targetName, url: targetUrl });
        await this.store.publish(next, `shards:move ${options.service} ${shard.database} → ${targetName}`);
        version = next.version;
      }
      await announce(this.publisher, this.prefix, { type: 'version', version });
      const writePauseMs = Date.now() - (row.detail.fencedAt ?? Date.now());
      log(
        `switched: topology version ${version} places ${shard.database} on ${targetName} (writes paused ${writePauseMs} ms)`,
      );
      await step('cleanup', { version, writePauseMs, rows: await countRows(targetDb) });
    }
    if (row.step === 'cleanup') {
      await withClient(sourceDb, (c) => c.query(`DROP PUBLICATION IF EXISTS ${names.publication}`)).catch(
        () => undefined,
      );
      const wait = options.dropSourceAfterMs ?? 30_000;
      log(`dropping the old copy on ${source.server} in ${wait} ms`);
      await new Promise((resolve) => setTimeout(resolve, wait));
      await withClient(databaseUrl(source.url, 'postgres'), async (c) => {
        await c.query(`DROP DATABASE IF EXISTS "${shard.database}" WITH (FORCE)`);
      }).catch((err: Error) => log(`could not drop the old copy (drop it by hand): ${err.message}`));
      await step('done');
      log('done');
    }
    return {
      service: options.service,
      database: shard.database,
      from: source.server === targetName ? '(resumed)' : source.server,
      to: targetName,
      version: row.detail.version ?? topology.version,
      writePauseMs: row.detail.writePauseMs ?? 0,
      rows: row.detail.rows ?? 0,
      resumed,
    };
  }

  /**
   * Announces the fence and waits (at most `drainMs`) until every process that heard it confirmed that it holds new
   * requests to the shard and has none under way there.
   */
  private async fence(
    service: ShardedService,
    database: string,
    drainMs: number,
    log: (line: string) => void,
  ): Promise<void> {
    const id = randomUUID();
    const confirmed = new Set<string>();
    const channel = fenceAckChannel(this.prefix);
    const onAck = (from: string, message: string) => {
      if (from !== channel) return;
      try {
        const ack = JSON.parse(message) as FenceAck;
        if (ack.id === id) confirmed.add(ack.process);
      } catch {
        // not an ack
      }
    };
    const stopListening = this.subscriber?.onMessage(onAck);
    try {
      if (this.subscriber) await this.subscriber.subscribe(channel);
      const told = await announce(this.publisher, this.prefix, { type: 'fence', service, database, id });
      const until = Date.now() + drainMs;
      // Nobody told (Redis lost the announcement, or no process is running): give requests under way the whole
      // drain time; the read-only backstop that follows stops whatever was not held.
      while (this.subscriber && (told === 0 || confirmed.size < told) && Date.now() < until) await sleep(5);
      log(
        `fenced: ${this.subscriber ? `${confirmed.size}/${told}` : `${told} (unconfirmed)`} processes hold new requests to this shard; others go on`,
      );
    } finally {
      stopListening?.();
      await this.subscriber?.unsubscribe(channel).catch(() => undefined);
    }
  }

  /** Schema, publication, subscription; returns when every table's initial copy is done. */
  private async copy(
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
  private async waitForLag(sourceDb: string, slot: string, bytes: number, log: (line: string) => void): Promise<void> {
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
  private async closeOldHome(sourceDb: string, database: string, drainMs: number): Promise<string> {
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
  private async waitForLsn(sourceDb: string, slot: string, lsn: string): Promise<void> {
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
  private async detach(sourceDb: string, targetDb: string, names: MoveNames): Promise<void> {
    const sequences = await withClient(sourceDb, (c) =>
      c.query<{ name: string; last_value: string | null }>(
        `SELECT format('%I.%I', schemaname, sequencename) AS name, last_value::text FROM pg_sequences`,
      ),
    );
    await withClient(targetDb, async (c) => {
      for (const s of sequences.rows)
        if (s.last_value !== null)
          await c.query('SELECT setval($1::regclass, $2::bigint, true)', [s.name, s.last_value]);
      const sub = await c.query('SELECT 1 FROM pg_subscription WHERE subname = $1', [names.subscription]);
      if (sub.rowCount) {
        await c.query(`ALTER SUBSCRIPTION ${names.subscription} DISABLE`);
        await c.query(`DROP SUBSCRIPTION ${names.subscription}`);
      }
      await advanceEventLogClock(c);
    });
  }

  private newServerName(target: string): string {
    if (!/^postgres(ql)?:/.test(target))
      throw new TopologyError(`unknown server "${target}" (give a name from the topology, or a postgresql:// URL)`);
    const url = new URL(target);
    return `${url.hostname}:${url.port || '5432'}`;
  }

  private async openMove(service: ShardedService, database: string): Promise<MoveRow | null> {
    return this.store.run(async (c) => {
      const { rows } = await c.query<MoveRow>(
        `SELECT id::text, to_server, step, detail, started_at FROM shard_moves
          WHERE service = $1 AND database = $2 AND finished_at IS NULL ORDER BY started_at DESC LIMIT 1`,
        [service, database],
      );
      return rows[0] ?? null;
    });
  }

  private async startMove(
    service: ShardedService,
    database: string,
    toServer: string,
    targetUrl: string,
  ): Promise<MoveRow> {
    return this.store.run(async (c) => {
      const { rows } = await c.query<MoveRow>(
        `INSERT INTO shard_moves (service, database, to_server, step, detail) VALUES ($1, $2, $3, 'copy', $4)
         RETURNING id::text, to_server, step, detail, started_at`,
        [service, database, toServer, JSON.stringify({ targetUrl })],
      );
      return rows[0]!;
    });
  }

  private async advance(row: MoveRow, step: MoveStep, detail: MoveRow['detail']): Promise<MoveRow> {
    return this.store.run(async (c) => {
      const { rows } = await c.query<MoveRow>(
        `UPDATE shard_moves SET step = $2, detail = detail || $3::jsonb, updated_at = now(),
                finished_at = CASE WHEN $2 = 'done' THEN now() END
          WHERE id = $1
          RETURNING id::text, to_server, step, detail, started_at`,
        [row.id, step, JSON.stringify(detail)],
      );
      return rows[0]!;
    });
  }
}

interface MoveNames {
  publication: string;
  subscription: string;
  slot: string;
}

function moveNames(database: string): MoveNames {
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

async function countRows(url: string): Promise<number> {
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

async function withClient<T>(url: string, work: (c: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url, application_name: 'chatgraph-shards-move' });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
