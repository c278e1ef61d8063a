import { PrismaPg } from '@prisma/adapter-pg';
import type { Pool } from 'pg';
import type { PhysicalShard } from '@chatgraph/ids';
import { GuardedPool, type ShardBreakerOptions } from '../GuardedPool';
import { adapterOptions } from '../preparedStatements';
import { parseLsn, type Lsn } from './lsn';
import { ShardLagMonitor, type ReplicaState } from './ReplicaMonitor';
import { mayWrite, statementText, type ReadSessionOptions, type RequestWrites, type SessionScope } from './ReadSession';

/** Read replicas of a sharded database (the `replicas` option of `ShardedDatabase`). */
export interface ReplicaOptions {
  /**
   * The replica servers of a physical shard on its primary server `server` (as placed when the database is opened):
   * server URLs without a database (the database has the same name on a replica as on its primary). An empty list:
   * that shard is read on its primary only.
   */
  urls: (shard: PhysicalShard, server: string) => readonly string[];
  /** A replica whose lag is above this is skipped until it caught up. @default 1000 */
  maxLagMs?: number;
  /** How often each replica's lag is probed. @default 250 */
  probeIntervalMs?: number;
  /**
   * Read-your-writes for the viewer of each request; unset: reads outside a write are only bounded-stale (at most
   * `maxLagMs` behind, as of the last probe).
   */
  session?: ReadSessionOptions;
}

/** One replica of one shard, as metrics show it. */
export interface ReplicaStats {
  /** The shard's database name. */
  database: string;
  /** The replica's position in the shard's replica list (a bounded label, unlike its URL). */
  replica: number;
  /** Whether reads may use it now. */
  healthy: boolean;
  /** See {@link ShardLagMonitor.lagForMetrics}; null until its first probe. */
  lagSeconds: number | null;
  lagBytes: number | null;
  /** SQL statements of reads it ran so far (probes not counted). */
  statements: number;
}

/** What `ShardedDatabase` hands over. */
export interface ReplicaReadsDeps<TClient> extends Omit<ReplicaOptions, 'urls'> {
  /** The replica servers of a shard. */
  urls: (shard: PhysicalShard) => readonly string[];
  shards: readonly PhysicalShard[];
  /** The primary pools, by shard index (for the session's write positions). */
  primaries: readonly Pool[];
  /** The primary clients, by shard index. */
  primaryClients: readonly TClient[];
  /** The URL of a shard's database on its primary. */
  primaryUrl: (shard: PhysicalShard) => string;
  /** The URL of a database on a server. */
  databaseUrl: (serverUrl: string, database: string) => string;
  createClient: (adapter: PrismaPg) => TClient;
  poolSize: number;
  connectTimeoutMs: number;
  breaker: ShardBreakerOptions;
}

interface Replica<TClient> {
  pool: GuardedPool;
  client: TClient;
  statements: number;
}

interface ShardReplicas<TClient> {
  shard: PhysicalShard;
  /** Replaced (not changed) when the shard's replicas are retired, so a read under way keeps what it picked from. */
  replicas: Array<Replica<TClient>>;
  monitor?: ShardLagMonitor;
  next: number;
}

/**
 * Replica pools, their lag monitors and the choice of where a read that may be slightly stale runs.
 *
 * A read of shard `s` runs on a replica of `s` when one is healthy (its probe answered within the last
 * `3 × probeIntervalMs` (at least 1 s), it is still in recovery, and its lag is at most `maxLagMs`) and, for a
 * request with a viewer, when that replica replayed the viewer's last recorded write on `s` (see
 * {@link recordWrites}); otherwise on the primary. Replicas take turns. A read failing on a replica (a killed or
 * restarting server) is run again on the primary, and the replica is skipped until its next successful probe.
 */
export class ReplicaReads<TClient extends { $disconnect(): Promise<void> }> {
  private readonly shards: Array<ShardReplicas<TClient>>;
  readonly maxLagMs: number;
  private readonly staleAfterMs: number;
  /** How long a session's write positions are kept: past it, any healthy replica has replayed them. */
  readonly sessionTtlMs: number;
  private readonly requests = new WeakMap<SessionScope, RequestWrites>();

  constructor(private readonly deps: ReplicaReadsDeps<TClient>) {
    this.maxLagMs = deps.maxLagMs ?? 1000;
    const interval = deps.probeIntervalMs ?? 250;
    this.staleAfterMs = Math.max(1000, 3 * interval);
    // A healthy replica was at most maxLagMs behind at a probe at most staleAfterMs ago, dated by primary positions
    // seen at most a probe period apart (or staleAfterMs, when a primary probe failed): see docs/operations.md.
    this.sessionTtlMs = this.maxLagMs + 2 * this.staleAfterMs + 10_000;
    this.shards = deps.shards.map((shard) => this.buildSet(shard, deps.urls(shard)));
  }

  /** The replica pools and lag monitor of one shard on the replicas at `urls` (server URLs). */
  private buildSet(shard: PhysicalShard, urls: readonly string[]): ShardReplicas<TClient> {
    const interval = this.deps.probeIntervalMs ?? 250;
    const replicas = urls.map((url, k) => {
      const pool = new GuardedPool(
        {
          connectionString: this.deps.databaseUrl(url, shard.database),
          max: this.deps.poolSize,
          idleTimeoutMillis: 30_000,
          connectionTimeoutMillis: this.deps.connectTimeoutMs,
          application_name: 'chatgraph-replica-read',
        },
        `${shard.database} (replica ${k})`,
        this.deps.breaker,
      );
      const replica: Replica<TClient> = { pool, client: undefined as unknown as TClient, statements: 0 };
      pool.on('connect', (client) => {
        // A connection failing while checked out (a replica going away) errors its query, never the process.
        client.on('error', () => undefined);
        const query = client.query.bind(client) as (...args: unknown[]) => unknown;
        (client as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
          replica.statements++;
          return query(...args);
        };
      });
      pool.on('error', () => undefined);
      replica.client = this.deps.createClient(new PrismaPg(pool, adapterOptions));
      return replica;
    });
    const monitor = urls.length
      ? new ShardLagMonitor({
          primaryUrl: this.deps.primaryUrl(shard),
          replicaUrls: urls.map((url) => this.deps.databaseUrl(url, shard.database)),
          intervalMs: interval,
          timeoutMs: Math.max(500, 2 * interval),
          windowMs: Math.max(60_000, 10 * this.maxLagMs),
        })
      : undefined;
    monitor?.start();
    return { shard, replicas, monitor, next: 0 };
  }

  /** Whether any shard has replicas. */
  get hasReplicas(): boolean {
    return this.shards.some((s) => s.replicas.length > 0);
  }

  /** Notes a statement run on a shard's primary: a write marks the shard as written by the current request. */
  noteStatement(index: number, arg: unknown): void {
    const writes = this.currentRequest();
    if (!writes) return;
    const text = statementText(arg);
    if (text === undefined || mayWrite(text)) writes.wrote.add(index);
  }

  /** Runs a read on a replica of shard `index` that may serve it (see the class), else on its primary. */
  async read<T>(index: number, fn: (client: TClient) => Promise<T>): Promise<T> {
    const primary = this.deps.primaryClients[index];
    if (!primary) throw new RangeError(`no physical shard ${index}`);
    const set = this.shards[index]!;
    if (set.replicas.length === 0) return fn(primary);
    const picked = await this.pick(set);
    if (picked === undefined) return fn(primary);
    try {
      return await fn(picked.replica.client);
    } catch {
      // A replica going away mid-read: the read is answered by the primary, and the replica waits for a good probe.
      picked.state.failed = true;
      return fn(primary);
    }
  }

  /** The replica to use for a read of `set` now, or undefined for the primary. */
  private async pick(
    set: ShardReplicas<TClient>,
  ): Promise<{ replica: Replica<TClient>; state: ReplicaState } | undefined> {
    let floor: Lsn = 0n;
    const writes = this.currentRequest();
    if (writes) {
      if (writes.wrote.has(set.shard.index)) return undefined;
      const positions = await this.sessionPositions(writes);
      if (positions === null) return undefined;
      floor = positions.get(set.shard.database) ?? 0n;
    }
    // Read after the wait: the shard's replicas may have been retired meanwhile.
    const { monitor, replicas } = set;
    if (!monitor) return undefined;
    const now = Date.now();
    const count = replicas.length;
    for (let k = 0; k < count; k++) {
      const i = (set.next + k) % count;
      const state = monitor.replicas[i]!;
      if (this.isHealthy(monitor, i, now) && state.replayed !== null && state.replayed >= floor) {
        set.next = (i + 1) % count;
        return { replica: replicas[i]!, state };
      }
    }
    return undefined;
  }

  private isHealthy(monitor: ShardLagMonitor, i: number, now: number): boolean {
    const state = monitor.replicas[i]!;
    return (
      !state.failed &&
      state.inRecovery &&
      now - state.okAt <= this.staleAfterMs &&
      now - monitor.primaryOkAt <= this.staleAfterMs &&
      state.lagMs !== null &&
      state.lagMs <= this.maxLagMs
    );
  }

  /** The current request's writes, when it has a viewer and read-your-writes is on. */
  private currentRequest(): RequestWrites | undefined {
    const session = this.deps.session;
    const scope = session?.scope();
    if (!scope?.viewerId) return undefined;
    let writes = this.requests.get(scope);
    if (!writes) this.requests.set(scope, (writes = { wrote: new Set() }));
    return writes;
  }

  private sessionPositions(writes: RequestWrites): Promise<Map<string, Lsn> | null> {
    const session = this.deps.session!;
    const viewer = session.scope()!.viewerId!;
    // Unknown positions (Redis down) send the viewer's reads to the primaries: never older than their writes.
    writes.positions ??= session.positions.get(`${session.service}:${viewer}`).catch(() => null);
    return writes.positions;
  }

  /**
   * Records the primary's WAL position on every shard the current request wrote, for its viewer (called before the
   * response is sent: the next request of that viewer, in any process, reads those shards on a replica only once it
   * replayed them). A no-op outside a request with a viewer, or when it wrote nothing.
   */
  async recordWrites(): Promise<void> {
    const writes = this.currentRequest();
    if (!writes || writes.wrote.size === 0) return;
    const session = this.deps.session!;
    const viewer = session.scope()!.viewerId!;
    const written = [...writes.wrote];
    writes.wrote.clear();
    const positions = new Map<string, Lsn>();
    await Promise.all(
      written.map(async (index) => {
        // After the request's commits returned (synchronous_commit on): at or past their commit records.
        const { rows } = await this.deps.primaries[index]!.query<{ lsn: string }>(
          'SELECT pg_current_wal_lsn()::text AS lsn',
        );
        positions.set(this.deps.shards[index]!.database, parseLsn(rows[0]!.lsn)!);
      }),
    );
    await session.positions.raise(`${session.service}:${viewer}`, positions, this.sessionTtlMs);
  }

  /**
   * Stops reading shard `index` on replicas (it was placed on another server, whose replicas these are not): its
   * monitor stops, its replica pools close, and its reads go to the primary.
   */
  retire(index: number): void {
    const set = this.shards[index];
    if (!set || set.replicas.length === 0) return;
    const { replicas, monitor } = set;
    set.replicas = [];
    set.monitor = undefined;
    void (async () => {
      await monitor?.close();
      await Promise.all(replicas.map((r) => r.client.$disconnect().catch(() => undefined)));
      await Promise.all(replicas.map((r) => r.pool.end().catch(() => undefined)));
    })();
  }

  /**
   * Reads shard `index` on the replicas at `urls` from now on (it was placed on another server, whose replicas these
   * are): the former replicas are retired, and the new ones are used once their first probe says they may.
   */
  assign(index: number, urls: readonly string[]): void {
    const set = this.shards[index];
    if (!set) return;
    this.retire(index);
    if (urls.length === 0) return;
    this.shards[index] = this.buildSet(set.shard, urls);
  }

  /** Probes every replica now (tests, to avoid waiting for the next period). */
  async probe(): Promise<void> {
    await Promise.all(this.shards.map((s) => s.monitor?.probe()));
  }

  /** Health, lag and reads of every replica (for metrics). */
  stats(): ReplicaStats[] {
    const now = Date.now();
    return this.shards.flatMap((set) =>
      set.replicas.map((replica, i) => {
        const monitor = set.monitor!;
        const lag = monitor.lagForMetrics(i, now);
        return {
          database: set.shard.database,
          replica: i,
          healthy: this.isHealthy(monitor, i, now),
          lagSeconds: lag === null ? null : lag / 1000,
          lagBytes: monitor.replicas[i]!.lagBytes,
          statements: replica.statements,
        };
      }),
    );
  }

  /** Stops the monitors, disconnects the replica clients and ends their pools. */
  async close(): Promise<void> {
    await Promise.all(this.shards.map((s) => s.monitor?.close()));
    const replicas = this.shards.flatMap((s) => s.replicas);
    await Promise.all(replicas.map((r) => r.client.$disconnect().catch(() => undefined)));
    await Promise.all(replicas.map((r) => r.pool.end().catch(() => undefined)));
  }
}
