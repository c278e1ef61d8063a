#!/usr/bin/env node
// `npm run supergraph` writes gateway/supergraph.graphql (what the gateway runs) and gateway/api-schema.graphql (the
// public API schema clients and codegen use) from the subgraphs' SDL files; `npm run supergraph:check` fails when
// either committed file is stale or composition fails.
import fs from 'node:fs';
import path from 'node:path';
import { printSchema } from 'graphql';
import { Supergraph } from '@apollo/federation-internals';
import { composeSupergraph } from '../supergraph/composeSupergraph';
import { DEFAULT_SUPERGRAPH_PATH } from '../supergraph/SupergraphSource';

export const API_SCHEMA_PATH = path.join(path.dirname(DEFAULT_SUPERGRAPH_PATH), 'api-schema.graphql');

const check = process.argv.includes('--check');
let supergraph: string;
try {
  supergraph = composeSupergraph();
} catch (err) {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exit(1);
}
const api = `${printSchema(Supergraph.build(supergraph).apiSchema().toGraphQLJSSchema())}\n`;
const outputs: Array<[string, string]> = [
  [DEFAULT_SUPERGRAPH_PATH, supergraph],
  [API_SCHEMA_PATH, api],
];
let stale = 0;
for (const [file, content] of outputs) {
  const current = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  const name = path.relative(process.cwd(), file);
  if (current === content) {
    process.stdout.write(`${name}: up to date\n`);
  } else if (check) {
    process.stderr.write(`${name} is stale: run "npm run supergraph" and commit the result.\n`);
    stale++;
  } else {
    fs.writeFileSync(file, content);
    process.stdout.write(`${name}: written\n`);
  }
}
if (stale) process.exit(1);
