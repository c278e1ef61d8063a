'use strict';
// The processes of the chatgraph stack as the service manifest (internal/manifest) lists them, with the ports and
// addresses of the validated configuration.

const fs = require('node:fs');
const path = require('node:path');

/** Repository root. */
const ROOT = path.resolve(__dirname, '..');

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
 */

/** A host the runner can reach a process on: a wildcard listen address is reached through loopback. */
function reachableHost(host) {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * Every process of the stack in start order, with ports from the validated configuration.
 * @param {import('@chatgraph/config').Config} config
 * @param {string} [root] repository root @default the folder above scripts/
 * @returns {StackService[]}
 */
function stackProcesses(config, root = ROOT) {
  // Required lazily: the manifest is compiled by the build, which `npm start` runs first.
  const { SERVICES } = require('@chatgraph/manifest');
  const { adminPortFor } = require('@chatgraph/config');
  const host = reachableHost(config.HOST);
  return SERVICES.map((s) => {
    const port = config[s.port.key];
    const baseUrl = `http://${host}:${port}`;
    return {
      name: s.name,
      kind: s.kind,
      entry: s.entry,
      port,
      phase: s.phase,
      color: s.color,
      baseUrl,
      healthUrl: `${baseUrl}${s.health}`,
      adminUrl: `http://${reachableHost(config.ADMIN_HOST)}:${adminPortFor(config, port)}`,
      built: fs.existsSync(path.join(root, s.entry)),
    };
  });
}

module.exports = { stackProcesses, ROOT };
