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

/** A sharded database as {@link registerDatabaseMetrics} reads it. */
export interface PooledDatabase {
  poolStats(): PoolUsage[];
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
