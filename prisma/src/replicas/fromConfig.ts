import { replicaUrls, type Config } from '@chatgraph/config';
import { serverUrl, Topology } from '../topology/Topology';
import type { ReplicaOptions } from './ReplicaReads';
import { RedisWritePositions, type RedisLike, type SessionScope } from './ReadSession';

type ReplicaConfig = Pick<
  Config,
  'DATABASE_URL' | 'DATABASE_REPLICA_URLS' | 'REPLICA_MAX_LAG_MS' | 'REPLICA_PROBE_MS' | 'DB_NAME_PREFIX'
> &
  Partial<Pick<Config, 'TOPOLOGY_FILE'>>;

/** Whether the configuration names read replicas (`DATABASE_REPLICA_URLS`, or servers of the topology file). */
export function hasReplicas(
  config: Pick<Config, 'DATABASE_REPLICA_URLS'> & Partial<Pick<Config, 'TOPOLOGY_FILE'>>,
): boolean {
  return replicaUrls(config.DATABASE_REPLICA_URLS ?? '').length > 0 || topologyNamesReplicas(config);
}

/** Whether the topology file (if any) gives a server replicas. */
function topologyNamesReplicas(config: Partial<Pick<Config, 'TOPOLOGY_FILE'>>): boolean {
  if (!config.TOPOLOGY_FILE) return false;
  return Object.values(Topology.fromFile(config.TOPOLOGY_FILE).document.servers).some((s) => s.replicas.length > 0);
}

/**
 * The `replicas` option of a service's database as configured: the shards placed on the `DATABASE_URL` server are read
 * on the replicas of `DATABASE_REPLICA_URLS` (shards the topology places on other servers: on their primaries), with
 * read-your-writes for the viewer of each request through `redis` (write positions under
 * `<DB_NAME_PREFIX>:ryw:<service>:<viewer>`). Undefined when no replica is configured.
 */
export function replicaOptionsFromConfig(
  config: ReplicaConfig,
  service: string,
  session: { redis: RedisLike; scope: () => SessionScope | undefined },
): ReplicaOptions | undefined {
  const urls = replicaUrls(config.DATABASE_REPLICA_URLS ?? '');
  if (urls.length === 0 && !topologyNamesReplicas(config)) return undefined;
  const primary = serverUrl(config.DATABASE_URL);
  return {
    urls: (_shard, server) => (serverUrl(server) === primary ? urls : []),
    maxLagMs: config.REPLICA_MAX_LAG_MS,
    probeIntervalMs: config.REPLICA_PROBE_MS,
    session: {
      service,
      scope: session.scope,
      positions: new RedisWritePositions(session.redis, config.DB_NAME_PREFIX),
    },
  };
}
