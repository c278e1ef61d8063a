#!/usr/bin/env node
// `npm run db:migrate`: create missing shard databases and apply pending migrations to every shard.
import { loadConfigOrExit } from '@chatgraph/config';
import { migrateAll } from '../migrate/migrateAll';

const config = loadConfigOrExit();
migrateAll(config, (line) => process.stdout.write(`${line}\n`)).then(
  (results) => {
    const applied = Object.values(results)
      .flat()
      .reduce((n, r) => n + r.applied.length + (r.createdDatabase ? 1 : 0), 0);
    process.stdout.write(applied ? 'db:migrate: done\n' : 'db:migrate: every shard is up to date; nothing changed\n');
  },
  (err: Error) => {
    process.stderr.write(`db:migrate failed: ${err.message}\n`);
    if ((err as { code?: string }).code === 'ECONNREFUSED')
      process.stderr.write(
        `PostgreSQL does not answer at ${config.DATABASE_URL}. Start it (see README, "Services").\n`,
      );
    process.exit(1);
  },
);
