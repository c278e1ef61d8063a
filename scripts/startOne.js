#!/usr/bin/env node
// `npm run start:<service>`: ONE more process in the foreground, next to a running stack, e.g. a second gateway:
//
//   GATEWAY_PORT=4010 npm run start:gateway
//
// Any service of the service manifest (internal/manifest). Builds first (incremental; `--skip-build` skips it), then
// runs the entry point with the terminal attached. Ctrl-C or SIGTERM is passed on as SIGTERM; the exit code is the
// process's.
'use strict';

const { spawn } = require('node:child_process');
const { build, composeSupergraph, loadStackConfig } = require('./prepareStack');
const { stackProcesses, ROOT } = require('./stackProcesses');
const { waitForHealth } = require('./waitForHealth');

async function main(argv) {
  const [name, ...rest] = argv;
  if (!name || name.startsWith('-') || rest.some((a) => a !== '--skip-build')) {
    process.stderr.write('Usage: node scripts/startOne.js <service> [--skip-build]\n');
    return 64;
  }
  const skipBuild = rest.includes('--skip-build');
  if (!skipBuild && !(await build())) return 1;
  const config = loadStackConfig();
  const services = stackProcesses(config);
  const service = services.find((s) => s.name === name);
  if (!service) {
    process.stderr.write(`Usage: node scripts/startOne.js <${services.map((s) => s.name).join('|')}> [--skip-build]\n`);
    return 64;
  }
  if (!skipBuild && service.kind === 'gateway' && !(await composeSupergraph())) return 1;
  if (!service.built) {
    process.stderr.write(`${service.entry} does not exist: the ${name} service is not built (or not written) yet.\n`);
    return 1;
  }
  if (service.kind === 'gateway') {
    process.stdout.write(`Starting a gateway on port ${service.port}; the subgraphs must already be running.\n`);
  }
  const child = spawn(process.execPath, [service.entry], {
    cwd: ROOT,
    stdio: 'inherit',
    env: { ...process.env, ...service.env, NODE_OPTIONS: require('@chatgraph/manifest').nodeOptionsFor(process.env) },
  });
  let stopping = false;
  const forward = () => {
    if (stopping) return;
    stopping = true;
    child.kill('SIGTERM');
  };
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(s, forward);
  const exited = new Promise((resolve) => {
    child.on('exit', (code, signal) => resolve(code ?? (signal === 'SIGTERM' && stopping ? 0 : 1)));
  });
  void waitForHealth(service.healthUrl, { shouldStop: () => stopping || child.exitCode !== null }).then((outcome) => {
    if (outcome !== 'healthy') return;
    const ws = service.baseUrl.replace(/^http/, 'ws');
    const where = {
      gateway: `${service.baseUrl}/graphql (WebSocket ${ws}/graphql)`,
      subgraph: `${service.baseUrl}/graphql`,
      worker: service.healthUrl,
    }[service.kind];
    process.stdout.write(`\n${name} is up: ${where}\n\n`);
  });
  return exited;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`start failed: ${err && err.stack ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
