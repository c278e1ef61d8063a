import type { Pool } from 'pg';
import { PrismaPg } from '@prisma/adapter-pg';
import { logicalShardOf, type PhysicalShard, type ShardMap } from '@chatgraph/ids';
import { openShardPool, type GuardedPool, type ShardBreakerOptions } from './GuardedPool';
import { AdapterStatements } from './AdapterStatements';
import { adapterOptions } from './preparedStatements';
import { ShardRoute } from './topology/ShardRoute';
import { ReplicaReads, type ReplicaOptions, type ReplicaStats } from './replicas/ReplicaReads';

/** The URL of database `database` on the server of `baseUrl` (whose own path, if any, is replaced). */
export function databaseUrl(baseUrl: string, database: string): string {
  const url = new URL(baseUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

/** The connection pool of one physical shard, as metrics show it. */
export interface ShardPoolStats {
  /** The shard's database name. */
  database: string;
  /** Connections open (idle or in use). */
  total: number;
  idle: number;
  /** Requests waiting for a connection. */
  waiting: number;
  /** Most connections the pool opens. */
  max: number;
  breaker: 'closed' | 'open' | 'half-open';
  /** Whether a shard move holds new requests to it now. */
  fenced: boolean;
}

/** What every Prisma client has: enough to close it. */
export interface Disconnectable {
  $disconnect(): Promise<void>;
}

/** Options of {@link ShardedDatabase}. */
export interface ShardedDatabaseOptions<TClient extends Disconnectable> {
  map: ShardMap;
  /** Server URL without a database, e.g. `postgresql://postgres@127.0.0.1:5432` (every shard's, unless `placement`). */
  baseUrl: string;
  /** The server (URL without a database) each shard lives on, when they are on several. @default `baseUrl` */
  placement?: (shard: PhysicalShard) => string;
  /** How long a request waits for a shard that is fenced by a move before it fails (retryably). @default 10000 */
  fenceWaitMs?: number;
  /** Connections per physical shard. @default 10 */
  poolSize?: number;
  /** How long getting a connection may take (connect, or wait for a free one). @default 3000 */
  connectTimeoutMs?: number;
  /** Per-shard circuit breaker. @default 3 failures, half-open after 1000 ms */
  breaker?: ShardBreakerOptions;
  /** Builds one Prisma client on a driver adapter. */
  createClient: (adapter: PrismaPg) => TClient;
  /**
   * Read replicas of the shards (see `replicas/ReplicaReads`): none unless given. A shard placed on another server
   * ({@link place}) is read on its primary only from then on.
   */
  replicas?: ReplicaOptions;
}

/**
 * One Prisma client per physical shard, created once at start and closed by {@link close}. Each client's pool is a
 * {@link ShardRoute} to the `pg` pool (guarded by a circuit breaker: {@link GuardedPool}) of the server the shard
 * lives on now, so a shard placed elsewhere ({@link place}, driven by the topology) keeps its client.
 * Routes ids to shards through the {@link ShardMap} and counts the SQL statements each shard ran, so tests and
 * benchmarks can prove how many shards an operation touched.
 */
export class ShardedDatabase<TClient extends Disconnectable> {
  readonly map: ShardMap;
  private readonly clients: TClient[];
  private readonly adapterStatements: AdapterStatements[];
  private readonly routes: ShardRoute[];
  private readonly urls: string[];
  private readonly statements: number[];
  private readonly placementListeners = new Set<(index: number, serverUrl: string) => void>();
  /** The replica servers each shard is read on now (see {@link place}). */
  private readonly replicaUrls: Array<readonly string[]> = [];
  private readonly replicaReads?: ReplicaReads<TClient>;
  /** The topology version the shards are placed by (1 until a follower applies another). */
  topologyVersion = 1;

  constructor(private readonly options: ShardedDatabaseOptions<TClient>) {
    this.map = options.map;
    this.statements = options.map.shards.map(() => 0);
    this.urls = options.map.shards.map((shard) => options.placement?.(shard) ?? options.baseUrl);
    this.routes = options.map.shards.map(
      (shard) =>
        new ShardRoute(this.openPool(shard, this.urls[shard.index]!), shard.database, options.fenceWaitMs ?? 10_000),
    );
    const adapters = this.routes.map((route) => new PrismaPg(route, adapterOptions));
    this.clients = adapters.map((adapter) => options.createClient(adapter));
    this.adapterStatements = adapters.map((adapter) => new AdapterStatements(adapter));
    // --- read replicas (replicas/ReplicaReads) ---
    if (options.replicas) {
      const replicaReads = new ReplicaReads({
        ...options.replicas,
        urls: (shard) => (this.replicaUrls[shard.index] = options.replicas!.urls(shard, this.urls[shard.index]!)),
        shards: options.map.shards,
        primaries: this.routes,
        primaryClients: this.clients,
        primaryUrl: (shard) => databaseUrl(this.urls[shard.index]!, shard.database),
        databaseUrl,
        createClient: options.createClient,
        poolSize: options.poolSize ?? 10,
        connectTimeoutMs: options.connectTimeoutMs ?? 3000,
        breaker: options.breaker ?? { failures: 3, halfOpenAfterMs: 1000 },
      });
      this.replicaReads = replicaReads;
    }
  }

  /** A pool (with its breaker and statement counter) for a shard on a server. */
  private openPool(shard: PhysicalShard, serverUrl: string): GuardedPool {
    return openShardPool(
      {
        connectionString: databaseUrl(serverUrl, shard.database),
        max: this.options.poolSize ?? 10,
        connectionTimeoutMillis: this.options.connectTimeoutMs ?? 3000,
      },
      shard.database,
      this.options.breaker ?? { failures: 3, halfOpenAfterMs: 1000 },
      (statement) => {
        this.statements[shard.index]!++;
        this.replicaReads?.noteStatement(shard.index, statement);
      },
    );
  }

  /** The server (URL without a database) physical shard `index` lives on now. */
  urlAt(index: number): string {
    const url = this.urls[index];
    if (url === undefined) throw new RangeError(`no physical shard ${index}`);
    return url;
  }

  /**
   * Moves physical shard `index` to another server: new requests go there (after any fence is lifted), requests in
   * flight finish where they started. Listeners of {@link onPlacementChange} hear of it (e.g. a relay's own
   * connection). No-op when the shard is there already.
   */
  place(index: number, serverUrl: string, replicas?: readonly string[]): void {
    const shard = this.map.shards[index];
    if (!shard) throw new RangeError(`no physical shard ${index}`);
    const moved = this.urls[index] !== serverUrl;
    if (moved) {
      this.urls[index] = serverUrl;
      void this.routes[index]!.replace(this.openPool(shard, serverUrl));
    } else this.routes[index]!.unfence();
    // The replicas a shard is read on are those of its server: given with the placement (the topology) and those the
    // replica options name for that server. Reads use new ones once their first probe says they may.
    if (this.replicaReads && this.options.replicas) {
      const next = [...new Set([...(replicas ?? []), ...this.options.replicas.urls(shard, serverUrl)])];
      const current = this.replicaUrls[index] ?? [];
      if (moved || next.length !== current.length || next.some((u, i) => u !== current[i])) {
        this.replicaUrls[index] = next;
        this.replicaReads.assign(index, next);
      }
    }
    if (moved) for (const listener of [...this.placementListeners]) listener(index, serverUrl);
  }

  /** Holds new requests to physical shard `index` until it is placed (or unfenced): the last instant of a move. */
  fence(index: number): void {
    this.route(index).fence();
  }

  /** Lets requests to physical shard `index` through again where it is now (a move that was abandoned). */
  unfence(index: number): void {
    this.route(index).unfence();
  }

  /** Connections of physical shard `index` in use now (requests under way on its current placement). */
  inFlight(index: number): number {
    const pool = this.route(index).current;
    return pool.totalCount - pool.idleCount;
  }

  /** Whether physical shard `index` is fenced. */
  fenced(index: number): boolean {
    return this.route(index).fenced;
  }

  /** Calls `listener(index, serverUrl)` whenever a shard is placed on another server; returns an unsubscribe. */
  onPlacementChange(listener: (index: number, serverUrl: string) => void): () => void {
    this.placementListeners.add(listener);
    return () => this.placementListeners.delete(listener);
  }

  private route(index: number): ShardRoute {
    const route = this.routes[index];
    if (!route) throw new RangeError(`no physical shard ${index}`);
    return route;
  }

  /** Number of physical shards. */
  get size(): number {
    return this.clients.length;
  }

  /** The physical shard that holds the row with this id. */
  shardFor(id: bigint): PhysicalShard {
    return this.map.shardFor(id);
  }

  /** The Prisma client of the shard that holds the row with this id. */
  clientFor(id: bigint): TClient {
    return this.clients[this.map.shardFor(id).index]!;
  }

  /** The Prisma client of the shard that holds a logical shard. */
  clientForLogical(logicalShard: number): TClient {
    return this.clients[this.map.forLogical(logicalShard).index]!;
  }

  /** The Prisma client of physical shard `index`. */
  clientAt(index: number): TClient {
    const client = this.clients[index];
    if (!client) throw new RangeError(`no physical shard ${index}`);
    return client;
  }

  /**
   * Statements on the driver adapter of the primary of the shard that holds the row with this id, under the Prisma
   * client (see {@link AdapterStatements}): for the hot statements whose per-call cost matters most.
   */
  statementsFor(id: bigint): AdapterStatements {
    return this.statementsAt(this.map.shardFor(id).index);
  }

  /** {@link statementsFor} of physical shard `index`. */
  statementsAt(index: number): AdapterStatements {
    const statements = this.adapterStatements[index];
    if (!statements) throw new RangeError(`no physical shard ${index}`);
    return statements;
  }

  /** The raw `pg` pool of physical shard `index` (for tools and benchmarks; services go through Prisma). */
  poolAt(index: number): Pool {
    return this.route(index);
  }

  // --- reads that may be slightly stale (read replicas; the primary when there are none) ---

  /**
   * Runs a read that may be slightly stale for the shard holding `id`: on a healthy replica that replayed the current
   * viewer's writes, else on the primary (see `replicas/ReplicaReads`). A function rather than a client, so that a
   * replica failing mid-read is answered by the primary. Never for reads inside a write transaction, authorization
   * checks, or anything that must see every commit (the event log relay).
   */
  readFor<T>(id: bigint, fn: (client: TClient) => Promise<T>): Promise<T> {
    return this.readAt(this.map.shardFor(id).index, fn);
  }

  /** {@link readFor} for the shard holding a logical shard. */
  readForLogical<T>(logicalShard: number, fn: (client: TClient) => Promise<T>): Promise<T> {
    return this.readAt(this.map.forLogical(logicalShard).index, fn);
  }

  /** {@link readFor} for physical shard `index`. */
  readAt<T>(index: number, fn: (client: TClient) => Promise<T>): Promise<T> {
    return this.replicaReads ? this.replicaReads.read(index, fn) : fn(this.clientAt(index));
  }

  /**
   * Records, for the current request's viewer, where each primary it wrote on stood (read-your-writes in every
   * process of the service); the subgraph server calls it before answering. A no-op without replicas.
   */
  recordWrites(): Promise<void> {
    return this.replicaReads?.recordWrites() ?? Promise.resolve();
  }

  /** Whether any shard has read replicas. */
  get hasReplicas(): boolean {
    return this.replicaReads?.hasReplicas ?? false;
  }

  /** Health, lag and statements of every replica (empty without replicas). */
  replicaStats(): ReplicaStats[] {
    return this.replicaReads?.stats() ?? [];
  }

  /** Probes every replica's lag now (tests). */
  probeReplicas(): Promise<void> {
    return this.replicaReads?.probe() ?? Promise.resolve();
  }

  // --- end of read replicas ---

  /** Every client with its shard, for per-shard work (migrations, repair passes). */
  all(): Array<{ shard: PhysicalShard; client: TClient }> {
    return this.map.shards.map((shard) => ({ shard, client: this.clients[shard.index]! }));
  }

  /** Groups ids by the physical shard that holds them: one batch per shard. */
  groupByShard<T>(items: readonly T[], idOf: (item: T) => bigint): Map<number, T[]> {
    const groups = new Map<number, T[]>();
    for (const item of items) {
      const index = this.map.forLogical(logicalShardOf(idOf(item))).index;
      const group = groups.get(index);
      if (group) group.push(item);
      else groups.set(index, [item]);
    }
    return groups;
  }

  /** SQL statements run so far, per physical shard (including BEGIN/COMMIT). */
  statementCounts(): number[] {
    return [...this.statements];
  }

  /** Breaker state of every physical shard (`closed`, `open`, `half-open`), by index. */
  breakerStates(): Array<'closed' | 'open' | 'half-open'> {
    return this.routes.map((r) => r.current.breakerState);
  }

  /** Pool usage and breaker state of every physical shard (for metrics). */
  poolStats(): ShardPoolStats[] {
    return this.routes.map(({ current: pool }, index) => ({
      database: this.map.shards[index]!.database,
      total: pool.totalCount,
      idle: pool.idleCount,
      waiting: pool.waitingCount,
      max: pool.options.max,
      breaker: pool.breakerState,
      fenced: this.routes[index]!.fenced,
    }));
  }

  /** Checks every shard answers (readiness). */
  async ping(): Promise<void> {
    await Promise.all(this.routes.map((route) => route.query('SELECT 1')));
  }

  /** Disconnects every client and ends every pool. */
  async close(): Promise<void> {
    await this.replicaReads?.close();
    await Promise.all(this.clients.map((c) => c.$disconnect().catch(() => undefined)));
    await Promise.all(this.adapterStatements.map((s) => s.close()));
    await Promise.all(this.routes.map((r) => r.end().catch(() => undefined)));
  }
}
