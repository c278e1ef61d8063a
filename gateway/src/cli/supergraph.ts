#!/usr/bin/env node
// `npm run supergraph` writes gateway/supergraph.graphql from the subgraphs' SDL files;
// `npm run supergraph:check` fails when the committed file is stale or composition fails.
import fs from 'node:fs';
import { composeSupergraph } from '../supergraph/composeSupergraph';
import { DEFAULT_SUPERGRAPH_PATH } from '../supergraph/SupergraphSource';

const check = process.argv.includes('--check');
let sdl: string;
try {
  sdl = composeSupergraph();
} catch (err) {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exit(1);
}
const current = fs.existsSync(DEFAULT_SUPERGRAPH_PATH) ? fs.readFileSync(DEFAULT_SUPERGRAPH_PATH, 'utf8') : '';
if (check) {
  if (current !== sdl) {
    process.stderr.write('gateway/supergraph.graphql is stale: run "npm run supergraph" and commit the result.\n');
    process.exit(1);
  }
  process.stdout.write('supergraph: up to date\n');
} else if (current === sdl) {
  process.stdout.write('supergraph: unchanged\n');
} else {
  fs.writeFileSync(DEFAULT_SUPERGRAPH_PATH, sdl);
  process.stdout.write(`supergraph: wrote ${DEFAULT_SUPERGRAPH_PATH}\n`);
}
