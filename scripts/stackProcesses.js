'use strict';
// The processes of the chatgraph stack as the service manifest (internal/manifest) lists them, with the ports and
// addresses of the validated configuration.

const fs = require('node:fs');
const path = require('node:path');

/** Repository root. */
const ROOT = path.resolve(__dirname, '..');

/**
 * Replica k (from 0) of a subgraph listens on its port + k × this (users 4001, 4101, 4201...), its admin server on that
 * port + the admin offset (9001, 9101...).
 */
const REPLICA_PORT_STEP = 100;

/**
 * @typedef {object} StackService
 * @property {string} name
 * @property {'subgraph' | 'gateway' | 'worker'} kind
 * @property {string} entry entry point relative to the repository root
 * @property {number} port
 * @property {number} phase processes of phase n start once every process of earlier phases answers its health URL
 * @property {string} color log prefix colour
 * @property {string} baseUrl `http://<host>:<port>`, reachable from this machine
 * @property {string} healthUrl answers 200 once the process is up
 * @property {string} adminUrl its admin server (/health, /ready, /metrics), on ADMIN_HOST and its admin port
 * @property {boolean} built whether the entry point exists
 * @property {Record<string, string>} env variables this process gets besides the runner's own: a replica's port and
 *   admin port; with several replicas, every process gets the comma-separated replica URLs of each subgraph
 */

/** A host the runner can reach a process on: a wildcard listen address is reached through loopback. */
function reachableHost(host) {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * Every process of the stack in start order, with ports from the validated configuration: `SUBGRAPH_REPLICAS`
 * processes of each subgraph (the first named after it, the others `users-2`, `users-3`, ... on ports
 * {@link REPLICA_PORT_STEP} apart), one of every other service. With several replicas, each process is given the
 * replicas' URLs in the subgraph's URL variable (`USERS_URL=http://127.0.0.1:4001/graphql,http://127.0.0.1:4101/graphql`)
 * unless that variable is set in `env`, and the gateway (and every subgraph calling another) balances over them.
 * @param {import('@chatgraph/config').Config} config
 * @param {string} [root] repository root @default the folder above scripts/
 * @param {NodeJS.ProcessEnv} [env] the runner's environment (URL variables set there are kept) @default process.env
 * @returns {StackService[]}
 */
function stackProcesses(config, root = ROOT, env = process.env) {
  // Required lazily: the manifest is compiled by the build, which `npm start` runs first.
  const { SERVICES, ADMIN_PORT_OFFSET } = require('@chatgraph/manifest');
  const { adminPortFor } = require('@chatgraph/config');
  const host = reachableHost(config.HOST);
  const replicas = config.SUBGRAPH_REPLICAS ?? 1;
  const processes = SERVICES.flatMap((s) => {
    const count = s.kind === 'subgraph' ? replicas : 1;
    return Array.from({ length: count }, (_, k) => {
      const port = config[s.port.key] + k * REPLICA_PORT_STEP;
      const adminPort = k === 0 ? adminPortFor(config, port) : port + ADMIN_PORT_OFFSET;
      const baseUrl = `http://${host}:${port}`;
      return {
        name: k === 0 ? s.name : `${s.name}-${k + 1}`,
        kind: s.kind,
        entry: s.entry,
        port,
        phase: s.phase,
        color: s.color,
        baseUrl,
        healthUrl: `${baseUrl}${s.health}`,
        adminUrl: `http://${reachableHost(config.ADMIN_HOST)}:${adminPort}`,
        built: fs.existsSync(path.join(root, s.entry)),
        env: k === 0 ? {} : { [s.port.key]: String(port), ADMIN_PORT: String(adminPort) },
        urlKey: s.kind === 'subgraph' ? s.graphql.urlKey : undefined,
      };
    });
  });
  if (replicas > 1) {
    /** @type {Record<string, string>} */
    const urls = {};
    for (const p of processes) {
      if (!p.urlKey || env[p.urlKey]) continue;
      urls[p.urlKey] = urls[p.urlKey] ? `${urls[p.urlKey]},${p.baseUrl}/graphql` : `${p.baseUrl}/graphql`;
    }
    for (const p of processes) Object.assign(p.env, urls);
  }
  return processes.map(({ urlKey: _urlKey, ...p }) => p);
}

module.exports = { stackProcesses, ROOT, REPLICA_PORT_STEP };
