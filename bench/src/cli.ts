#!/usr/bin/env node
// `npm run bench` (whole suite, against the peers) and `npm run bench -- --quick` (our side only, under a minute).
// Flags: --quick, --smoke (tiny loads, for CI), --only=<scenario,...>, --out=<dir> (default bench/results),
// --render=<result.json> (rewrite the chart and docs section of an existing result, nothing is run),
// --no-docs (do not rewrite the generated part of docs/benchmarks.md), --profile / --no-profile (CPU profiles of our
// gateway under the query and fan-out loads; on by default in a full run), --gateways=<kind,...> (the gateways scenario
// 1 compares, instead of the mode's list: for side-by-side runs of a few, e.g. chatgraph,apollo,floor with --quick),
// --no-peers (full-size scenarios with ours alone: side-by-side runs of two builds of ours).
import fs from 'node:fs';
import path from 'node:path';
import { runBench, type BenchFlags, type BenchResult } from './runBench';
import { renderReport } from './report/renderReport';

function parse(argv: string[]): BenchFlags {
  const flags: BenchFlags = { quick: false, smoke: false, docs: true };
  for (const arg of argv) {
    const [key, value] = arg.split('=', 2) as [string, string | undefined];
    if (key === '--quick') flags.quick = true;
    else if (key === '--smoke') flags.smoke = flags.quick = true;
    else if (key === '--no-docs') flags.docs = false;
    else if (key === '--profile') flags.profile = true;
    else if (key === '--no-profile') flags.profile = false;
    else if (key === '--no-peers') flags.peers = false;
    else if (key === '--out' && value) flags.outDir = value;
    else if (key === '--only' && value) flags.only = value.split(',');
    else if (key === '--render' && value) flags.render = value;
    else if (key === '--gateways' && value) flags.gateways = value.split(',') as BenchFlags['gateways'];
    else {
      process.stderr.write(`unknown argument ${arg}\n`);
      process.exit(2);
    }
  }
  return flags;
}

const flags = parse(process.argv.slice(2));
if (flags.render) {
  // Re-renders the chart and the docs section of an existing result (after a change to the report code).
  const file = path.resolve(flags.render);
  const result = JSON.parse(fs.readFileSync(file, 'utf8')) as BenchResult;
  renderReport(file, result, flags.docs && result.mode === 'full', (line) => process.stdout.write(`${line}\n`));
  process.exit(0);
}

runBench(flags).then(
  (file) => {
    process.stdout.write(`results: ${file}\n`);
    process.exit(0);
  },
  (err: unknown) => {
    process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
