#!/usr/bin/env node
// `npm run schema:check` compares the API schema (gateway/api-schema.graphql, kept current by `npm run supergraph`)
// with the last released one (schema/released.graphql) and fails on breaking changes, listing them; dangerous
// changes are listed as warnings. `npm run schema:release` (at a release) makes the current schema the released one.
import fs from 'node:fs';
import path from 'node:path';
import { describeChange, schemaChanges } from '../schema/schemaChanges';
import { DEFAULT_SUPERGRAPH_PATH } from '../supergraph/SupergraphSource';

const API_SCHEMA_PATH = path.join(path.dirname(DEFAULT_SUPERGRAPH_PATH), 'api-schema.graphql');
const RELEASED_PATH = path.resolve(__dirname, '../../../schema/released.graphql');

async function main(): Promise<number> {
  const current = fs.readFileSync(API_SCHEMA_PATH, 'utf8');
  if (process.argv.includes('--release')) {
    fs.writeFileSync(RELEASED_PATH, current);
    process.stdout.write(`${path.relative(process.cwd(), RELEASED_PATH)}: written (the released API schema)\n`);
    return 0;
  }
  const { breaking, dangerous, safe } = await schemaChanges(fs.readFileSync(RELEASED_PATH, 'utf8'), current);
  process.stdout.write(
    `API schema since the last release: ${safe.length} safe, ${dangerous.length} dangerous, ${breaking.length} breaking change(s)\n`,
  );
  for (const change of dangerous) process.stdout.write(`  dangerous: ${describeChange(change)}\n`);
  for (const change of breaking) process.stderr.write(`  BREAKING: ${describeChange(change)}\n`);
  if (breaking.length === 0) return 0;
  process.stderr.write(
    'Breaking changes to the public API: deprecate (@deprecated(reason: ...)) instead of removing or narrowing, ' +
      'or, for a new major version, record the change in docs/changelog.md and run `npm run schema:release`.\n',
  );
  return 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
