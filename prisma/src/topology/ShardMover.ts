import { randomUUID } from 'node:crypto';
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
import {
  closeOldHome,
  copyShard,
  countRows,
  detach,
  moveNames,
  sleep,
  waitForLag,
  waitForLsn,
  withClient,
} from './logicalCopy';

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
      await copyShard(sourceDb, targetUrl, targetDb, shard.database, names, log);
      await step('catch-up');
    }
    if (row.step === 'catch-up') {
      await waitForLag(sourceDb, names.slot, options.catchUpBytes ?? 1 << 20, log);
      await step('fence');
    }
    if (row.step === 'fence') {
      const fencedAt = Date.now();
      await this.fence(options.service, shard.database, options.drainMs ?? 3000, log);
      const lastWrite = await closeOldHome(sourceDb, shard.database, options.drainMs ?? 3000);
      // (Resumed after the subscription was detached: the copy had every change by then.)
      const attached = await withClient(targetDb, async (c) =>
        Boolean((await c.query('SELECT 1 FROM pg_subscription WHERE subname = $1', [names.subscription])).rowCount),
      );
      if (attached) await waitForLsn(sourceDb, names.slot, lastWrite);
      await detach(sourceDb, targetDb, names);
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
