'use strict';
// Small helpers shared by the backing-service launchers and `npm run services:check`: error text, URLs without their
// password, free ports, commands on PATH.

const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');

/** The reason an attempt failed, in one line. */
function describeError(err) {
  if (err && typeof err === 'object') {
    // An AggregateError (IPv4 and IPv6 both refused) carries the useful text in its parts.
    if (Array.isArray(err.errors) && err.errors.length) return err.errors.map(describeError).join('; ');
    if (err.message) return err.message;
    if (err.code) return String(err.code);
  }
  return String(err);
}

/** The URL without its password, for messages. */
function redact(url) {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}

/**
 * Whether a TCP server could listen on `host:port` right now.
 * @param {number} port
 * @param {string} [host] @default '127.0.0.1'
 * @returns {Promise<boolean>}
 */
function portIsFree(port, host = '127.0.0.1') {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

/**
 * A TCP port that was free a moment ago on 127.0.0.1.
 * @returns {Promise<number>}
 */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * `preferred` when it is free on 127.0.0.1, else any free port.
 * @param {number} preferred 0 for any
 * @returns {Promise<number>}
 */
async function portToListenOn(preferred) {
  return preferred > 0 && (await portIsFree(preferred)) ? preferred : freePort();
}

/**
 * The port of a URL, or the given default when it names none.
 * @param {string} url
 * @param {number} fallback
 */
function portOf(url, fallback) {
  const { port } = new URL(url);
  return port ? Number(port) : fallback;
}

/**
 * Whether `command` is an executable on PATH.
 * @param {string} command
 * @param {NodeJS.ProcessEnv} [env]
 */
function onPath(command, env = process.env) {
  return (env.PATH ?? '').split(path.delimiter).some((dir) => {
    if (!dir) return false;
    try {
      fs.accessSync(path.join(dir, command), fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

module.exports = { describeError, freePort, onPath, portIsFree, portOf, portToListenOn, redact };
