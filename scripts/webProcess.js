'use strict';
// The web client's server (web/server.mjs) as a process of `npm start`: it serves web/dist/ on WEB_PORT (3000) and
// tells the page the gateway's URL; it starts once the gateway answers.

const fs = require('node:fs');
const path = require('node:path');
const { ROOT } = require('./stackProcesses');

const WEB_DEFAULT_PORT = 3000;

/**
 * The web server's process, or undefined when the web client is not built.
 * @param {import('@chatgraph/config').Config} config
 * @param {import('./stackProcesses').StackService[]} services the stack's processes (the web server follows them all)
 */
function webProcess(config, services, root = ROOT) {
  if (!fs.existsSync(path.join(root, 'web', 'dist', 'index.html'))) return undefined;
  const port = Number(process.env.WEB_PORT ?? WEB_DEFAULT_PORT);
  const gateway = services.find((s) => s.kind === 'gateway');
  const host = config.HOST === '0.0.0.0' || config.HOST === '::' ? '127.0.0.1' : config.HOST;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  // The page reaches the gateway the way this machine does, unless CHATGRAPH_URL says otherwise (a proxy in front).
  const gatewayUrl = process.env.CHATGRAPH_URL ?? (gateway ? `${gateway.baseUrl}/graphql` : undefined);
  const env = gatewayUrl ? `CHATGRAPH_URL=${gatewayUrl} ` : '';
  return {
    url,
    port,
    process: {
      name: 'web',
      argv: ['/usr/bin/env', ...(env ? [env.trim()] : []), process.execPath, path.join(root, 'web', 'server.mjs')],
      phase: Math.max(...services.map((s) => s.phase)) + 1,
      color: 'gray',
      healthUrl: `${url}/health`,
    },
  };
}

/**
 * The gateway's CORS default allows the web client on its default port only: on another WEB_PORT, in development and
 * with CORS_ORIGINS unset, the origins to allow instead (undefined: leave CORS_ORIGINS as it is).
 * @param {{ url: string, port: number }} web
 * @param {NodeJS.ProcessEnv} env
 */
function corsOriginsFor(web, env = process.env) {
  if (env.CORS_ORIGINS || env.NODE_ENV === 'production' || web.port === WEB_DEFAULT_PORT) return undefined;
  return `${web.url},http://localhost:${web.port}`;
}

module.exports = { webProcess, corsOriginsFor, WEB_DEFAULT_PORT };
