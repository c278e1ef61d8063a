'use strict';
// RabbitMQ for `npm start`: how to probe one, and a node of its own (Debian's rabbitmq-server, its own node name,
// ports, configuration and data under .data/rabbitmq, so it never meets the machine's node) when none answers at the
// default address. Used once the manifest lists a backing service named `rabbitmq`.

const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { describeError, freePort, onPath } = require('./probes');
const { startLocalProcess } = require('./localProcess');

/** Debian's server script itself; /usr/sbin/rabbitmq-server only switches to the rabbitmq user and calls it. */
const DEBIAN_SERVER = '/usr/lib/rabbitmq/bin/rabbitmq-server';
/** The first bytes of an AMQP 0-9-1 connection. */
const PROTOCOL_HEADER = Buffer.from([0x41, 0x4d, 0x51, 0x50, 0, 0, 9, 1]);
/** A method frame: the server's Connection.Start, its first answer to the protocol header. */
const METHOD_FRAME = 1;

/**
 * Sends the AMQP 0-9-1 protocol header and waits for the server's first frame; resolves with the reason when no
 * AMQP server answers within `timeoutMs`.
 * @param {string} url `amqp://user:password@host:port`
 * @param {number} timeoutMs
 * @returns {Promise<string | undefined>}
 */
function probe(url, timeoutMs) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname.replace(/^\[|\]$/g, ''), port: Number(port) || 5672 });
    let settled = false;
    const done = (reason) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(reason);
    };
    const timer = setTimeout(() => done(`no answer within ${timeoutMs} ms`), timeoutMs);
    socket.once('connect', () => socket.write(PROTOCOL_HEADER));
    socket.once('data', (chunk) =>
      done(chunk[0] === METHOD_FRAME ? undefined : `not an AMQP 0-9-1 server (it answered ${chunk.subarray(0, 8)})`),
    );
    socket.once('error', (err) => done(describeError(err)));
    socket.once('close', () => done('the connection was closed'));
  });
}

/** Commands that start one at the default address: on this machine, then with containers. */
function howToStart() {
  return ['service rabbitmq-server start', 'docker compose up -d rabbitmq'];
}

/** The server script to run, undefined when RabbitMQ is not installed. */
function serverScript() {
  if (fs.existsSync(DEBIAN_SERVER)) return DEBIAN_SERVER;
  return onPath('rabbitmq-server') ? 'rabbitmq-server' : undefined;
}

/** What {@link startLocal} runs, for messages. */
const describeLocal = () => 'a local RabbitMQ node';

/**
 * Why no local server can be started here, or undefined when one can.
 * @returns {{ reason: string, debianPackage?: string } | undefined}
 */
function localUnavailable() {
  return serverScript() ? undefined : { reason: 'rabbitmq-server is not installed', debianPackage: 'rabbitmq-server' };
}

/**
 * Runs a RabbitMQ node of its own on 127.0.0.1:`port` (user guest, loopback only; data, logs, configuration and
 * Erlang cookie in `<dataDir>/rabbitmq`; its own port mapper (epmd) and distribution port, both free ones) and
 * resolves once it answers AMQP. Its stop (SIGTERM) also ends that port mapper.
 * @param {{ dataDir: string, port: number }} options
 * @returns {Promise<import('./localProcess').LocalProcess & { url: string, what: string, data: string }>}
 */
async function startLocal({ dataDir, port }) {
  // The port mapper's and distribution ports are free when picked but can be taken before the node binds them (other
  // servers starting at the same moment): such a start is tried again on other free ones.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startLocalOnce({ dataDir, port });
    } catch (err) {
      const portTaken = /dist_port_already_used|eaddrinuse|address already in use/i.test(String(err && err.message));
      if (!portTaken || attempt >= 3) throw err;
    }
  }
}

/**
 * One try of {@link startLocal}.
 * @param {{ dataDir: string, port: number }} options
 * @returns {Promise<import('./localProcess').LocalProcess & { url: string, what: string, data: string }>}
 */
async function startLocalOnce({ dataDir, port }) {
  const url = `amqp://guest:guest@127.0.0.1:${port}`;
  const data = path.join(dataDir, 'rabbitmq');
  fs.mkdirSync(path.join(data, 'log'), { recursive: true });
  // Its own files only: the machine's /etc/rabbitmq would give it the machine node's name and listener.
  const configFile = path.join(data, 'rabbitmq.conf');
  fs.writeFileSync(configFile, `# Written by npm start for its own node.\nlisteners.tcp.local = 127.0.0.1:${port}\n`);
  fs.writeFileSync(path.join(data, 'enabled_plugins'), '[].\n');
  const epmdPort = await freePort();
  const env = {
    ...process.env,
    HOME: data,
    ERL_EPMD_PORT: String(epmdPort),
    RABBITMQ_NODENAME: `chatgraph-${port}@localhost`,
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_NODE_PORT: String(port),
    RABBITMQ_DIST_PORT: String(await freePort()),
    RABBITMQ_CONFIG_FILE: configFile,
    RABBITMQ_CONF_ENV_FILE: path.join(data, 'rabbitmq-env.conf'),
    RABBITMQ_ENABLED_PLUGINS_FILE: path.join(data, 'enabled_plugins'),
    RABBITMQ_MNESIA_BASE: path.join(data, 'mnesia'),
    RABBITMQ_LOG_BASE: path.join(data, 'log'),
  };
  // The Erlang VM starts a port mapper on its own port; with the node gone nothing else uses it.
  const stopPortMapper = () => spawnSync('epmd', ['-port', String(epmdPort), '-kill'], { env, stdio: 'ignore' });
  let server;
  try {
    server = await startLocalProcess({
      label: 'RabbitMQ',
      command: serverScript() ?? 'rabbitmq-server',
      args: [],
      env,
      cwd: data,
      logFile: path.join(dataDir, 'rabbitmq.log'),
      probe: () => probe(url, 1000),
    });
  } catch (err) {
    stopPortMapper();
    throw err;
  }
  const stop = async (timeoutMs) => {
    const result = await server.stop(timeoutMs);
    stopPortMapper();
    return result;
  };
  return { ...server, stop, url, what: describeLocal(), data };
}

module.exports = { name: 'rabbitmq', probe, howToStart, describeLocal, localUnavailable, startLocal };
