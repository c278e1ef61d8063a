#!/usr/bin/env node
// `npm run services:check`: do PostgreSQL, Redis and RabbitMQ answer? Used by `npm start` before it builds anything, so a missing
// database is reported in one clear sentence instead of as a stack trace from the first service that touches it.
// Plain Node (no build step): it runs before `npm run build`, so it reads the three URLs itself, with the same defaults
// and the same "empty means unset" rule as internal/config.
'use strict';

const fs = require('node:fs');
const { Client } = require('pg');
const Redis = require('ioredis');

/** @default 2000 */
const DEFAULT_TIMEOUT_MS = 2000;
const DEFAULT_DATABASE_URL = 'postgresql://postgres@127.0.0.1:5432';
const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
const DEFAULT_AMQP_URL = 'amqp://guest:guest@127.0.0.1:5672';
/** The variable that points at each service. */
const URL_VARIABLE = { PostgreSQL: 'DATABASE_URL', Redis: 'REDIS_URL', RabbitMQ: 'AMQP_URL' };

/**
 * @typedef {object} ServiceStatus
 * @property {'PostgreSQL' | 'Redis' | 'RabbitMQ'} name
 * @property {string} url the URL that was tried, password removed
 * @property {boolean} ok
 * @property {string} [error] why it did not answer
 * @property {string[]} [howToStart] commands that start it on this kind of machine, then with containers
 */

/** The URLs `npm start` would use: DATABASE_URL, REDIS_URL and AMQP_URL, or their defaults. */
function serviceUrls(env = process.env) {
  return {
    databaseUrl: env.DATABASE_URL || DEFAULT_DATABASE_URL,
    redisUrl: env.REDIS_URL || DEFAULT_REDIS_URL,
    amqpUrl: env.AMQP_URL || DEFAULT_AMQP_URL,
  };
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

/** The PostgreSQL major version installed on this machine (its cluster folder), 15 when none is found. */
function installedPostgresVersion() {
  try {
    const versions = fs.readdirSync('/etc/postgresql').filter((v) => /^\d+$/.test(v));
    if (versions.length) return versions.sort((a, b) => Number(b) - Number(a))[0];
  } catch {
    // No Debian PostgreSQL here: the container hint below still applies.
  }
  return '15';
}

/** Opens a connection and runs `SELECT 1`; resolves with the reason when that fails within `timeoutMs`. */
async function pingPostgres(url, timeoutMs) {
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

/** Sends PING once, without retries; resolves with the reason when no PONG comes within `timeoutMs`. */
async function pingRedis(url, timeoutMs) {
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

/** Opens an AMQP connection and closes it; resolves with the reason when that fails within `timeoutMs`. */
async function pingRabbitMq(url, timeoutMs) {
  const amqplib = require('amqplib');
  try {
    const connection = await amqplib.connect(url, { timeout: timeoutMs });
    await connection.close();
    return undefined;
  } catch (err) {
    return describeError(err);
  }
}

function describeError(err) {
  if (err && typeof err === 'object') {
    // An AggregateError (IPv4 and IPv6 both refused) carries the useful text in its parts.
    if (Array.isArray(err.errors) && err.errors.length) return err.errors.map(describeError).join('; ');
    if (err.message) return err.message;
    if (err.code) return String(err.code);
  }
  return String(err);
}

/**
 * Checks that PostgreSQL, Redis and RabbitMQ answer, in parallel, each within `timeoutMs`.
 * @param {{ databaseUrl?: string, redisUrl?: string, amqpUrl?: string, timeoutMs?: number }} [options] defaults:
 *   {@link serviceUrls}
 * @returns {Promise<ServiceStatus[]>} one entry per service, failures with the commands that start it
 */
async function checkServices(options = {}) {
  const urls = serviceUrls();
  const databaseUrl = options.databaseUrl ?? urls.databaseUrl;
  const redisUrl = options.redisUrl ?? urls.redisUrl;
  const amqpUrl = options.amqpUrl ?? urls.amqpUrl;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const [pgError, redisError, amqpError] = await Promise.all([
    pingPostgres(databaseUrl, timeoutMs),
    pingRedis(redisUrl, timeoutMs),
    pingRabbitMq(amqpUrl, timeoutMs),
  ]);
  const pgVersion = installedPostgresVersion();
  return [
    {
      name: 'PostgreSQL',
      url: redact(databaseUrl),
      ok: pgError === undefined,
      error: pgError,
      howToStart: [`pg_ctlcluster --skip-systemctl-redirect ${pgVersion} main start`, 'docker compose up -d postgres'],
    },
    {
      name: 'Redis',
      url: redact(redisUrl),
      ok: redisError === undefined,
      error: redisError,
      howToStart: ['redis-server --daemonize yes --port 6379 --save "" --appendonly no', 'docker compose up -d redis'],
    },
    {
      name: 'RabbitMQ',
      url: redact(amqpUrl),
      ok: amqpError === undefined,
      error: amqpError,
      howToStart: ['rabbitmq-server -detached', 'docker compose up -d rabbitmq'],
    },
  ].map((s) => (s.ok ? { name: s.name, url: s.url, ok: true } : s));
}

/** The text printed for a failed check: which service, where, why, and how to start it. */
function formatFailure(status) {
  const [onMachine, withContainers] = status.howToStart ?? [];
  return [
    `${status.name} does not answer at ${status.url} (${status.error}).`,
    `  Start it on this machine:  ${onMachine}`,
    `  or with containers:        ${withContainers}`,
    `  or point ${URL_VARIABLE[status.name]} at a running one.`,
  ].join('\n');
}

/**
 * Runs the check and prints the outcome. Resolves `true` when all answer.
 * @param {{ databaseUrl?: string, redisUrl?: string, amqpUrl?: string, timeoutMs?: number, quiet?: boolean }} [options]
 */
async function reportServices(options = {}) {
  const statuses = await checkServices(options);
  for (const s of statuses) {
    if (s.ok) {
      if (!options.quiet) process.stdout.write(`${s.name} answers at ${s.url}\n`);
    } else {
      process.stderr.write(`${formatFailure(s)}\n`);
    }
  }
  return statuses.every((s) => s.ok);
}

module.exports = { checkServices, reportServices, formatFailure, serviceUrls };

if (require.main === module) {
  reportServices().then(
    (ok) => process.exit(ok ? 0 : 1),
    (err) => {
      process.stderr.write(`services:check failed: ${describeError(err)}\n`);
      process.exit(1);
    },
  );
}
