'use strict';
// The processes of the chatgraph stack, their entry points after `npm run build`, and where they answer.

const fs = require('node:fs');
const path = require('node:path');

/** Repository root. */
const ROOT = path.resolve(__dirname, '..');

/**
 * @typedef {object} StackService
 * @property {'users' | 'chats' | 'presence' | 'gateway'} name
 * @property {string} entry entry point relative to the repository root
 * @property {number} port
 * @property {number} phase the gateway (phase 1) starts after the subgraphs (phase 0) answer /health
 * @property {string} color log prefix colour
 * @property {string} baseUrl `http://<host>:<port>`, reachable from this machine
 * @property {boolean} built whether the entry point exists
 */

/** A host the runner can reach a process on: a wildcard listen address is reached through loopback. */
function reachableHost(host) {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * Every process of the stack in start order, with ports from the validated configuration.
 * @param {{ HOST: string, USERS_PORT: number, CHATS_PORT: number, PRESENCE_PORT: number, GATEWAY_PORT: number }} config
 * @param {string} [root] repository root @default the folder above scripts/
 * @returns {StackService[]}
 */
function stackProcesses(config, root = ROOT) {
  const host = reachableHost(config.HOST);
  const services = [
    { name: 'users', entry: 'subgraphs/users/dist/index.js', port: config.USERS_PORT, phase: 0, color: 'cyan' },
    { name: 'chats', entry: 'subgraphs/chats/dist/index.js', port: config.CHATS_PORT, phase: 0, color: 'magenta' },
    {
      name: 'presence',
      entry: 'subgraphs/presence/dist/index.js',
      port: config.PRESENCE_PORT,
      phase: 0,
      color: 'yellow',
    },
    { name: 'gateway', entry: 'gateway/dist/index.js', port: config.GATEWAY_PORT, phase: 1, color: 'green' },
  ];
  return services.map((s) => ({
    ...s,
    baseUrl: `http://${host}:${s.port}`,
    built: fs.existsSync(path.join(root, s.entry)),
  }));
}

module.exports = { stackProcesses, ROOT };
