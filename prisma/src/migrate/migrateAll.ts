import type { Config } from '@chatgraph/config';
import type { ShardCounts, ShardedService } from '../databases';
import { Topology } from '../topology/Topology';
import { TopologyStore } from '../topology/TopologyStore';
import { migrationsDirsFor } from '../paths';
import { runMigrations, type ShardMigrationResult } from './runMigrations';

/** The services with sharded databases, in migration order. */
export const SHARDED_SERVICES: readonly ShardedService[] = ['users', 'chats', 'notifications'];

/**
 * Migrates every shard of every service (or of `services`), wherever the topology places it, printing one line per
 * shard through `log`. Creates the control database when missing and stores the configured topology there as
 * version 1 when none is stored; after that the stored version (moves included) says where the shards are.
 */
export async function migrateAll(
  config: ShardCounts & Pick<Config, 'DATABASE_URL'> & Partial<Pick<Config, 'TOPOLOGY_FILE'>>,
  log: (line: string) => void = () => undefined,
  services: readonly ShardedService[] = SHARDED_SERVICES,
): Promise<Record<ShardedService, ShardMigrationResult[]>> {
  const store = new TopologyStore(config.DATABASE_URL, config.DB_NAME_PREFIX);
  await store.ensure();
  const topology = await store.current(Topology.fromConfig(config));
  const out = {} as Record<ShardedService, ShardMigrationResult[]>;
  for (const service of services) {
    out[service] = await runMigrations({
      baseUrl: config.DATABASE_URL,
      map: topology.mapFor(service),
      placement: (shard) => topology.placementOf(service, shard.index).url,
      migrationsDirs: migrationsDirsFor(service),
      log: (line) => log(`${service}: ${line}`),
    });
  }
  return out;
}
