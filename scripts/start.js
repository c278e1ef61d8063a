#!/usr/bin/env node
// `npm start`: the whole stack on this machine. Checks PostgreSQL and Redis, builds (incrementally), composes the
// gateway's supergraph from the subgraphs' SDL, migrates, then runs every built service of the service manifest
// (internal/manifest) as its own process, phase by phase (the subgraphs, then the gateway once they answer /health),
// until Ctrl-C or SIGTERM, which stops them all.
//
//   npm start                    everything
//   npm start -- --skip-build    use the dist/ folders as they are
'use strict';

const { reportServices } = require('./checkServices');
const { build, composeSupergraph, loadStackConfig, migrate } = require('./prepareStack');
const { runStack } = require('./runStack');
const { stackProcesses, ROOT } = require('./stackProcesses');

const USAGE = `Usage: npm start [-- --skip-build]

Starts the chatgraph stack on this machine: every service of internal/manifest (the subgraphs, then the gateway).
  --skip-build   do not run \`npm run build\` (nor compose the supergraph) first
Environment: see internal/config/src/loadConfig.ts (GATEWAY_PORT, USERS_PORT, DATABASE_URL, REDIS_URL, LOG_FORMAT,
...); logs are readable lines at a terminal, JSON otherwise (LOG_FORMAT=json|pretty decides).
`;

function printUrls(started) {
  const lines = ['', 'chatgraph is up:'];
  const gateway = started.find((s) => s.kind === 'gateway');
  if (gateway) {
    lines.push(`  GraphQL HTTP       ${gateway.baseUrl}/graphql`);
    lines.push(`  GraphQL WebSocket  ${gateway.baseUrl.replace(/^http/, 'ws')}/graphql`);
  } else {
    lines.push('  (no gateway: it is not built yet)');
  }
  for (const s of started.filter((x) => x.kind !== 'gateway')) {
    const label = s.kind === 'subgraph' ? `${s.name} subgraph` : s.name;
    lines.push(`  ${label.padEnd(18)} ${s.kind === 'subgraph' ? `${s.baseUrl}/graphql` : s.healthUrl}`);
  }
  lines.push(`  admin servers      ${started.map((s) => `${s.adminUrl}/metrics (${s.name})`).join(', ')}`);
  lines.push('Press Ctrl-C to stop every process.', '');
  process.stdout.write(`${lines.join('\n')}\n`);
}

async function main(argv) {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(USAGE);
    return 0;
  }
  const unknown = argv.filter((a) => a !== '--skip-build');
  if (unknown.length) {
    process.stderr.write(`Unknown argument ${unknown.join(' ')}\n${USAGE}`);
    return 64;
  }

  if (!(await reportServices({ quiet: true }))) {
    process.stderr.write('npm start: nothing was started.\n');
    return 1;
  }
  if (!argv.includes('--skip-build') && !(build() && composeSupergraph())) return 1;
  const config = loadStackConfig();
  if (!migrate()) return 1;

  const all = stackProcesses(config);
  for (const s of all.filter((x) => !x.built)) {
    process.stdout.write(`Skipping ${s.name}: ${s.entry} does not exist (not built yet).\n`);
  }
  const services = all.filter((s) => s.built);
  if (!services.length) {
    process.stderr.write('npm start: no service is built yet, so there is nothing to run.\n');
    return 1;
  }
  return runStack({
    cwd: ROOT,
    processes: services.map((s) => ({
      name: s.name,
      argv: [process.execPath, s.entry],
      phase: s.phase,
      color: s.color,
      healthUrl: s.healthUrl,
    })),
    // The services write to the runner's pipe, not to the terminal: they log in the format chosen for the runner's
    // own output (readable lines when that is a terminal).
    env: { LOG_FORMAT: config.LOG_FORMAT },
    // The services' own grace period plus a margin before the runner resorts to SIGKILL.
    stopTimeoutMs: config.SHUTDOWN_GRACE_MS + 5000,
    onReady: () => printUrls(services),
  });
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`npm start failed: ${err && err.stack ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
