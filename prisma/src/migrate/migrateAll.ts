import type { Config } from '@chatgraph/config';
import { shardMapFor, type ShardCounts, type ShardedService } from '../databases';
import { migrationsDirsFor } from '../paths';
import { runMigrations, type ShardMigrationResult } from './runMigrations';

/** The services with sharded databases, in migration order. */
export const SHARDED_SERVICES: readonly ShardedService[] = ['users', 'chats', 'notifications'];

/** Migrates every shard of every service (or of `services`), printing one line per shard through `log`. */
export async function migrateAll(
  config: ShardCounts & Pick<Config, 'DATABASE_URL'>,
  log: (line: string) => void = () => undefined,
  services: readonly ShardedService[] = SHARDED_SERVICES,
): Promise<Record<ShardedService, ShardMigrationResult[]>> {
  const out = {} as Record<ShardedService, ShardMigrationResult[]>;
  for (const service of services) {
    out[service] = await runMigrations({
      baseUrl: config.DATABASE_URL,
      map: shardMapFor(config, service),
      migrationsDirs: migrationsDirsFor(service),
      log: (line) => log(`${service}: ${line}`),
    });
  }
  return out;
}
