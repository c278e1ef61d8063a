import type { ProcessMetrics } from '@chatgraph/metrics';

/** One shard's pool as {@link registerDatabaseMetrics} reads it (`ShardedDatabase.poolStats()` of `@chatgraph/db`). */
export interface PoolUsage {
  database: string;
  total: number;
  idle: number;
  waiting: number;
  max: number;
  breaker: 'closed' | 'open' | 'half-open';
  /** Whether a shard move holds new requests to the shard now. */
  fenced?: boolean;
}

/** One read replica of a shard as {@link registerDatabaseMetrics} reads it (`ShardedDatabase.replicaStats()`). */
export interface ReplicaUsage {
  database: string;
  /** Its position in the shard's replica list. */
  replica: number;
  healthy: boolean;
  /** Null until its first probe. */
  lagSeconds: number | null;
  lagBytes: number | null;
  /** Statements reads ran on it so far. */
  statements: number;
}

/** A sharded database as {@link registerDatabaseMetrics} reads it. */
export interface PooledDatabase {
  poolStats(): PoolUsage[];
  /** Its read replicas (none: no series). */
  replicaStats?(): ReplicaUsage[];
  /** The topology version the database is placed by (see `shards:move`). */
  readonly topologyVersion?: number;
}

/** The numeric value of a breaker state in `*_breaker_state` gauges: 0 closed, 1 half-open, 2 open. */
export function breakerValue(state: 'closed' | 'open' | 'half-open'): number {
  return state === 'closed' ? 0 : state === 'half-open' ? 1 : 2;
}

/**
 * Pool usage and breaker state of every shard, read at scrape time, named after OpenTelemetry's database client
 * conventions (`db.client.connection.*`, `pool_name` = the shard's database):
 * - `db_client_connection_count{pool_name, state="idle"|"used"}`
 * - `db_client_connection_max{pool_name}`
 * - `db_client_connection_pending_requests{pool_name}`: requests waiting for a connection (a pool too small or a
 *   slow shard)
 * - `db_shard_breaker_state{pool_name}`: 0 closed, 1 half-open, 2 open (the shard refuses at once)
 * - `db_replica_lag_seconds{pool_name, replica}`, `db_replica_lag_bytes{pool_name, replica}`: how far each read
 *   replica of a shard is behind its primary (`replica` is its position in the replica list; no series before its
 *   first probe); the seconds keep growing while a replica does not answer
 * - `db_replica_healthy{pool_name, replica}`: 1 while reads may use the replica, 0 while it is skipped (not
 *   answering, or lagging more than REPLICA_MAX_LAG_MS)
 * - `db_replica_statements_total{pool_name, replica}`: statements reads ran on the replica (lag probes not counted)
 * - `db_shard_fenced{pool_name}`: 1 while a shard move holds new requests to the shard
 * - `db_topology_version`: the topology version the process routes by (every process should show the same)
 */
export function registerDatabaseMetrics(metrics: ProcessMetrics, ...databases: PooledDatabase[]): void {
  const pools = () => databases.flatMap((db) => db.poolStats());
  metrics.gaugeFrom(
    'db_client_connection_count',
    'Connections of a shard pool, by state.',
    ['pool_name', 'state'],
    () =>
      pools().flatMap((p) => [
        [{ pool_name: p.database, state: 'idle' }, p.idle] as const,
        [{ pool_name: p.database, state: 'used' }, p.total - p.idle] as const,
      ]),
  );
  metrics.gaugeFrom('db_client_connection_max', 'Most connections a shard pool opens.', ['pool_name'], () =>
    pools().map((p) => [{ pool_name: p.database }, p.max]),
  );
  metrics.gaugeFrom(
    'db_client_connection_pending_requests',
    'Requests waiting for a connection of a shard pool.',
    ['pool_name'],
    () => pools().map((p) => [{ pool_name: p.database }, p.waiting]),
  );
  metrics.gaugeFrom(
    'db_shard_breaker_state',
    "A shard's circuit breaker: 0 closed, 1 half-open, 2 open (requests to the shard fail at once).",
    ['pool_name'],
    () => pools().map((p) => [{ pool_name: p.database }, breakerValue(p.breaker)]),
  );
  const replicas = () => databases.flatMap((db) => db.replicaStats?.() ?? []);
  const labels = (r: ReplicaUsage) => ({ pool_name: r.database, replica: String(r.replica) });
  metrics.gaugeFrom(
    'db_replica_lag_seconds',
    'How far a read replica of a shard is behind its primary, in seconds (grows while it does not answer).',
    ['pool_name', 'replica'],
    () => replicas().flatMap((r) => (r.lagSeconds === null ? [] : [[labels(r), r.lagSeconds] as const])),
  );
  metrics.gaugeFrom(
    'db_replica_lag_bytes',
    'WAL a read replica of a shard has not replayed yet, in bytes (at its last answered probe).',
    ['pool_name', 'replica'],
    () => replicas().flatMap((r) => (r.lagBytes === null ? [] : [[labels(r), r.lagBytes] as const])),
  );
  metrics.gaugeFrom(
    'db_replica_healthy',
    'Whether reads may use a read replica of a shard: 1 yes, 0 skipped (not answering, or lagging too far).',
    ['pool_name', 'replica'],
    () => replicas().map((r) => [labels(r), r.healthy ? 1 : 0]),
  );
  metrics.counterFrom(
    'db_replica_statements_total',
    'Statements reads ran on a read replica of a shard (lag probes not counted).',
    ['pool_name', 'replica'],
    () => replicas().map((r) => [labels(r), r.statements]),
  );
  metrics.gaugeFrom(
    'db_shard_fenced',
    'Whether a shard move holds new requests to the shard (1) or not (0).',
    ['pool_name'],
    () => pools().map((p) => [{ pool_name: p.database }, p.fenced ? 1 : 0]),
  );
  metrics.gaugeFrom('db_topology_version', 'The topology version this process routes by.', [], () => {
    const versions = databases.map((db) => db.topologyVersion ?? 0);
    return [[{}, Math.max(0, ...versions)]];
  });
}
