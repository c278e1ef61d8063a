#!/usr/bin/env node
// `npm start`: the whole stack on this machine. Finds the backing services (internal/manifest's BACKING_SERVICES:
// PostgreSQL, Redis, ...) and, for each one that does not answer at its default address while its URL variable is
// unset, runs a server of its own (an embedded PostgreSQL from npm, Debian's redis-server, ...; data in .data/).
// Then builds (incrementally), composes the gateway's supergraph from the subgraphs' SDL, migrates, and runs every
// built service of the manifest as its own process, phase by phase (the subgraphs, then the gateway once they answer
// /health), until Ctrl-C or SIGTERM, which stops them all, then the servers it started.
//
//   npm start                    everything
//   npm start -- --skip-build    use the dist/ folders as they are
'use strict';

const { provideBackingServices } = require('./backing/backingServices');
const { build, buildConfig, composeSupergraph, loadStackConfig, migrate, stopRunningStep } = require('./prepareStack');
const { runStack } = require('./runStack');
const { stackProcesses, ROOT } = require('./stackProcesses');
const { corsOriginsFor, webProcess } = require('./webProcess');

const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'];

const USAGE = `Usage: npm start [-- --skip-build]

Starts the chatgraph stack on this machine: every service of internal/manifest (the subgraphs, then the gateway),
after its backing services (PostgreSQL, Redis): the ones at DATABASE_URL / REDIS_URL when set, else the ones at the
default addresses, else servers of its own (an embedded PostgreSQL, a local redis-server) with data in .data/.
  --skip-build   do not run \`npm run build\` (nor compose the supergraph) first
Environment: see internal/config/src/loadConfig.ts (GATEWAY_PORT, USERS_PORT, DATABASE_URL, REDIS_URL, LOG_FORMAT,
...); SUBGRAPH_REPLICAS=2 runs two processes of each subgraph (ports 100 apart) and the gateway balances over them; logs are readable lines at a terminal, JSON otherwise (LOG_FORMAT=json|pretty decides).
`;

function printUrls(started, servers, web) {
  const lines = ['', 'chatgraph is up:'];
  const gateway = started.find((s) => s.kind === 'gateway');
  if (web) lines.push(`  web client         ${web.url}`);
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
  for (const s of servers) lines.push(`  ${s.label.padEnd(18)} ${s.url}  ${s.what}, started by npm start`);
  lines.push('Press Ctrl-C to stop every process.', '');
  process.stdout.write(`${lines.join('\n')}\n`);
}

/**
 * Records a stop request (Ctrl-C, SIGTERM, SIGHUP) for the whole run and passes it on to a running build or
 * migration step; while the services run, runStack's own handlers stop them.
 */
function watchStopSignals() {
  let requested;
  const onSignal = (signal) => {
    requested ??= signal;
    stopRunningStep();
  };
  for (const s of STOP_SIGNALS) process.on(s, onSignal);
  return { requested: () => requested !== undefined };
}

/** Builds, migrates and runs the services until they stop; resolves with the exit code. */
async function runServices(skipBuild, stop, servers) {
  // A step stopped on request fails; that is a clean stop, not a failure.
  const stopped = (ok) => (stop.requested() ? 0 : ok ? undefined : 1);
  if (!skipBuild) {
    const done = stopped((await build()) && (await composeSupergraph()));
    if (done !== undefined) return done;
  }
  const config = loadStackConfig();
  const migrated = stopped(await migrate());
  if (migrated !== undefined) return migrated;

  const all = stackProcesses(config);
  for (const s of all.filter((x) => !x.built)) {
    process.stdout.write(`Skipping ${s.name}: ${s.entry} does not exist (not built yet).\n`);
  }
  const services = all.filter((s) => s.built);
  if (!services.length) {
    process.stderr.write('npm start: no service is built yet, so there is nothing to run.\n');
    return 1;
  }
  // The web client's server starts after the gateway, when the web client is built.
  const web = webProcess(config, services);
  if (!web) process.stdout.write('Skipping the web client: web/dist/ does not exist (not built yet).\n');
  const corsOrigins = web && corsOriginsFor(web);
  if (corsOrigins) process.env.CORS_ORIGINS = corsOrigins;
  return runStack({
    cwd: ROOT,
    processes: [
      ...services.map((s) => ({
        name: s.name,
        argv: [process.execPath, s.entry],
        phase: s.phase,
        color: s.color,
        healthUrl: s.healthUrl,
        env: s.env,
      })),
      ...(web ? [web.process] : []),
    ],
    // The services write to the runner's pipe, not to the terminal: they log in the format chosen for the runner's
    // own output (readable lines when that is a terminal).
    // Each process gives V8 one background thread unless V8_POOL_SIZE says otherwise (internal/manifest, v8PoolSize).
    env: { LOG_FORMAT: config.LOG_FORMAT, NODE_OPTIONS: require('@chatgraph/manifest').nodeOptionsFor(process.env) },
    // The services' own grace period plus a margin before the runner resorts to SIGKILL.
    stopTimeoutMs: config.SHUTDOWN_GRACE_MS + 5000,
    onReady: () => printUrls(services, servers, web),
  });
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
  const skipBuild = argv.includes('--skip-build');
  const stop = watchStopSignals();

  // The backing services are checked (and started when missing) before the build, which can take a while.
  if (!skipBuild && !(await buildConfig())) return 1;
  const backing = await provideBackingServices({ shouldStop: stop.requested });
  if (!backing.ok) {
    process.stderr.write('npm start: nothing was started.\n');
    return 1;
  }
  // Every step and every service inherits the URLs of the servers started here.
  Object.assign(process.env, backing.env);
  let code = 1;
  try {
    code = stop.requested() ? 0 : await runServices(skipBuild, stop, backing.servers);
  } finally {
    if (!(await backing.stop())) code = 1;
  }
  return code;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`npm start failed: ${err && err.stack ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
