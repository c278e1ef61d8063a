import fs from 'node:fs';
import path from 'node:path';
import type { ShardedService } from './databases';

function packageRoot(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'schema-root.marker'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('cannot find the @chatgraph/db package root');
    dir = parent;
  }
  return dir;
}

/** The migrations folder of a service (`prisma/<service>/migrations`), from source or from `dist`. */
export function migrationsDirFor(service: ShardedService): string {
  return path.join(packageRoot(), service, 'migrations');
}

/** Migrations every service database gets besides its own, interleaved by timestamp (`prisma/shared/migrations`). */
export function sharedMigrationsDir(): string {
  return path.join(packageRoot(), 'shared', 'migrations');
}

/** Every migrations folder of a service's databases: the shared set and the service's own. */
export function migrationsDirsFor(service: ShardedService): string[] {
  return [sharedMigrationsDir(), migrationsDirFor(service)];
}
