'use strict';
// Redis for `npm start`: how to probe one, and a `redis-server` of its own (no persistence) when none answers at the
// default address and Debian's redis-server is installed.

const fs = require('node:fs');
const path = require('node:path');
const Redis = require('ioredis');
const { describeError, onPath } = require('./probes');
const { startLocalProcess } = require('./localProcess');

const COMMAND = 'redis-server';

/**
 * Sends PING once, without retries; resolves with the reason when no PONG comes within `timeoutMs`.
 * @param {string} url
 * @param {number} timeoutMs
 * @returns {Promise<string | undefined>}
 */
async function probe(url, timeoutMs) {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  // connect() rejects with a bare "Connection is closed."; the socket error that caused it comes as an event.
  let socketError;
  redis.on('error', (err) => {
    socketError ??= err;
  });
  try {
    await redis.connect();
    const pong = await redis.ping();
    return pong === 'PONG' ? undefined : `unexpected answer to PING: ${pong}`;
  } catch (err) {
    return describeError(socketError ?? err);
  } finally {
    redis.disconnect();
  }
}

/** Commands that start one at the default address: on this machine, then with containers. */
function howToStart() {
  return ['redis-server --daemonize yes --port 6379 --save "" --appendonly no', 'docker compose up -d redis'];
}

/** What {@link startLocal} runs, for messages. */
const describeLocal = () => 'a local redis-server (no persistence)';

/**
 * Why no local server can be started here, or undefined when one can.
 * @returns {{ reason: string, debianPackage?: string } | undefined}
 */
function localUnavailable() {
  return onPath(COMMAND) ? undefined : { reason: `${COMMAND} is not installed`, debianPackage: 'redis-server' };
}

/**
 * Runs `redis-server` on 127.0.0.1:`port` without persistence (working folder `<dataDir>/redis`) and resolves once it
 * answers PING.
 * @param {{ dataDir: string, port: number }} options
 * @returns {Promise<import('./localProcess').LocalProcess & { url: string, what: string, data: string }>}
 */
async function startLocal({ dataDir, port }) {
  const url = `redis://127.0.0.1:${port}`;
  const data = path.join(dataDir, 'redis');
  fs.mkdirSync(data, { recursive: true });
  const server = await startLocalProcess({
    label: 'redis-server',
    command: COMMAND,
    args: ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', data],
    logFile: path.join(dataDir, 'redis.log'),
    probe: () => probe(url, 1000),
  });
  return { ...server, url, what: describeLocal(), data };
}

module.exports = { name: 'redis', probe, howToStart, describeLocal, localUnavailable, startLocal };
