#!/usr/bin/env node
// `npm run compose:check`: is the container stack's configuration valid?
//   1. docker-compose.yml parses and is a valid compose file (`docker-compose config -q`, or `docker compose`), with
//      placeholder secrets, and refuses to resolve without JWT_SECRET and GATEWAY_IDENTITY_SECRET;
//   2. deploy/haproxy.cfg is exactly what deploy/haproxyConfig.js generates;
//   3. HAProxy accepts that configuration (`haproxy -c`). HAProxy resolves server names while checking and the compose
//      names (gateway-1, ...) do not resolve outside compose, so the check runs on the same text generated for
//      127.0.0.1 addresses;
//   4. Prometheus accepts deploy/prometheus (`promtool check config`, its rules file read from beside it), and the
//      alert rules pass their unit tests (`promtool test rules deploy/prometheus/alerts.test.yml`);
//   5. every dashboard of deploy/grafana/dashboards is JSON with a unique uid, on the provisioned data source.
// A tool that is not installed is reported as SKIPPED, never as passed.
'use strict';

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { haproxyConfig, COMPOSE_ADDRESSES, COMMITTED_PATH } = require('../deploy/haproxyConfig');

const ROOT = path.resolve(__dirname, '..');

/**
 * The secrets docker-compose.yml requires, set to placeholders when the environment has none: the file is validated
 * here, not started.
 */
const REQUIRED_SECRETS = ['JWT_SECRET', 'GATEWAY_IDENTITY_SECRET'];
const placeholderEnv = {
  ...process.env,
  ...Object.fromEntries(
    REQUIRED_SECRETS.filter((name) => !process.env[name]).map((name) => [name, `compose-check-placeholder-${name}`]),
  ),
};

/** Runs a command; `missing` when it is not installed. */
function run(command, args, env = placeholderEnv) {
  const r = spawnSync(command, args, { cwd: ROOT, env, encoding: 'utf8' });
  if (r.error && r.error.code === 'ENOENT') return { missing: true };
  return { missing: false, status: r.status ?? 1, output: `${r.stdout ?? ''}${r.stderr ?? ''}`.trim() };
}

/**
 * The command that validates docker-compose.yml here: Debian's `docker-compose`, else the `docker compose` plugin.
 * @returns {{ command: string, args: string[] } | undefined}
 */
function composeValidator() {
  if (!run('docker-compose', ['version']).missing) return { command: 'docker-compose', args: ['config', '-q'] };
  const plugin = run('docker', ['compose', 'version']);
  if (!plugin.missing && plugin.status === 0) return { command: 'docker', args: ['compose', 'config', '-q'] };
  return undefined;
}

/** The generated configuration with every gateway on 127.0.0.1, for `haproxy -c`. */
function loopbackHaproxyConfig() {
  return haproxyConfig({
    port: COMPOSE_ADDRESSES.port,
    gateways: COMPOSE_ADDRESSES.gateways.map((g, i) => ({ host: '127.0.0.1', port: 4001 + i })),
    emailLinks: { host: '127.0.0.1', port: 4004 },
  });
}

function main() {
  const results = [];
  const record = (name, outcome, detail = '') => results.push({ name, outcome, detail });

  const validator = composeValidator();
  if (!validator) {
    record('docker-compose.yml', 'SKIPPED', 'neither docker-compose nor the docker compose plugin is installed');
  } else {
    const r = run(validator.command, validator.args);
    record(
      'docker-compose.yml',
      r.status === 0 ? 'ok' : 'FAILED',
      `${validator.command} ${validator.args.join(' ')}${r.output ? `\n${r.output}` : ''}`,
    );
    // Without the secrets the stack must not start at all (never on the public development secrets).
    const withoutSecrets = { ...process.env };
    for (const name of REQUIRED_SECRETS) delete withoutSecrets[name];
    const refused = run(validator.command, validator.args, withoutSecrets);
    const named = REQUIRED_SECRETS.filter((name) => refused.output.includes(name));
    record(
      'docker-compose.yml requires the secrets',
      refused.status !== 0 && named.length > 0 ? 'ok' : 'FAILED',
      `accepted without ${REQUIRED_SECRETS.join(' and ')}`,
    );
  }

  const committed = fs.existsSync(COMMITTED_PATH) ? fs.readFileSync(COMMITTED_PATH, 'utf8') : '';
  record(
    'deploy/haproxy.cfg is generated',
    committed === haproxyConfig(COMPOSE_ADDRESSES) ? 'ok' : 'FAILED',
    committed ? '' : 'missing; run `node deploy/haproxyConfig.js --write`',
  );
  if (results.at(-1).outcome === 'FAILED' && committed) {
    results.at(-1).detail = 'stale: run `node deploy/haproxyConfig.js --write`';
  }

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chatgraph-haproxy-'));
  try {
    const file = path.join(dir, 'haproxy.cfg');
    fs.writeFileSync(file, loopbackHaproxyConfig());
    const r = run('haproxy', ['-c', '-f', file]);
    if (r.missing) record('haproxy -c', 'SKIPPED', 'haproxy is not installed');
    else record('haproxy -c', r.status === 0 ? 'ok' : 'FAILED', r.status === 0 ? '' : r.output);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }

  const promDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chatgraph-prometheus-'));
  try {
    const deployDir = path.join(ROOT, 'deploy', 'prometheus');
    fs.copyFileSync(path.join(deployDir, 'alerts.yml'), path.join(promDir, 'alerts.yml'));
    const config = fs
      .readFileSync(path.join(deployDir, 'prometheus.yml'), 'utf8')
      .replace('/etc/prometheus/alerts.yml', path.join(promDir, 'alerts.yml'));
    fs.writeFileSync(path.join(promDir, 'prometheus.yml'), config);
    const checked = run('promtool', ['check', 'config', path.join(promDir, 'prometheus.yml')]);
    if (checked.missing) {
      record('promtool check config', 'SKIPPED', 'promtool is not installed (apt-get install prometheus)');
    } else {
      record('promtool check config', checked.status === 0 ? 'ok' : 'FAILED', checked.output);
      const tested = run('promtool', ['test', 'rules', path.join(deployDir, 'alerts.test.yml')]);
      record('promtool test rules', tested.status === 0 ? 'ok' : 'FAILED', tested.output);
    }
  } finally {
    fs.rmSync(promDir, { recursive: true, force: true });
  }

  const dashboardsDir = path.join(ROOT, 'deploy', 'grafana', 'dashboards');
  const uids = new Set();
  for (const file of fs.readdirSync(dashboardsDir)) {
    let problem = '';
    try {
      const dashboard = JSON.parse(fs.readFileSync(path.join(dashboardsDir, file), 'utf8'));
      if (!dashboard.uid || uids.has(dashboard.uid)) problem = `uid ${dashboard.uid} missing or not unique`;
      uids.add(dashboard.uid);
      const foreign = dashboard.panels.filter((p) => p.datasource?.uid !== 'prometheus');
      if (foreign.length) problem = `panels not on the provisioned data source: ${foreign.map((p) => p.title)}`;
    } catch (err) {
      problem = err.message;
    }
    record(`deploy/grafana/dashboards/${file}`, problem ? 'FAILED' : 'ok', problem);
  }

  for (const { name, outcome, detail } of results) {
    process.stdout.write(`${outcome.padEnd(7)} ${name}${detail && outcome !== 'ok' ? `: ${detail}` : ''}\n`);
  }
  return results.some((r) => r.outcome === 'FAILED') ? 1 : 0;
}

process.exit(main());
