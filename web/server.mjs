#!/usr/bin/env node
// Serves the built web client (dist/) and /config.json, which tells the page where the gateway is. `npm start` runs it
// once the gateway answers; docker-compose.yml runs it as the `web` service.
//
//   WEB_PORT       port (3000)
//   HOST           listen address (127.0.0.1)
//   CHATGRAPH_URL  the gateway's /graphql URL as the browser reaches it (http://127.0.0.1:<GATEWAY_PORT or 4000>/graphql);
//                  the gateway's CORS_ORIGINS must allow this server's origin (its default allows :3000)
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sirv from 'sirv';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), 'dist');
const port = Number(process.env.WEB_PORT ?? 3000);
const host = process.env.HOST ?? '127.0.0.1';
const gatewayUrl = process.env.CHATGRAPH_URL ?? `http://127.0.0.1:${process.env.GATEWAY_PORT ?? 4000}/graphql`;

function fail(message) {
  process.stderr.write(`web: ${message}\n`);
  process.exit(1);
}
if (!Number.isInteger(port) || port < 0 || port > 65535)
  fail(`WEB_PORT must be a port number, not ${process.env.WEB_PORT}`);
let gateway;
try {
  gateway = new URL(gatewayUrl);
  if (gateway.protocol !== 'http:' && gateway.protocol !== 'https:') throw new Error('not http(s)');
} catch {
  fail(`CHATGRAPH_URL must be the gateway's http(s) /graphql URL, not ${gatewayUrl}`);
}
if (!fs.existsSync(path.join(root, 'index.html')))
  fail(`${root} has no index.html: run \`npm run build -w web\` first`);

const config = JSON.stringify({ gatewayUrl });
const wsOrigin = gateway.origin.replace(/^http/, 'ws');
const headers = {
  'Content-Security-Policy': `default-src 'self'; connect-src 'self' ${gateway.origin} ${wsOrigin}; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'`,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};
// Hashed assets are cached for good; index.html (the fallback of every other path) never.
const assets = sirv(root, {
  single: true,
  etag: true,
  setHeaders(res, pathname) {
    for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
    res.setHeader(
      'Cache-Control',
      pathname.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
    );
  },
});

const server = http.createServer((req, res) => {
  if (req.url === '/config.json' || req.url === '/health') {
    res.writeHead(200, { ...headers, 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
    res.end(req.url === '/health' ? '{"status":"ok"}' : config);
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { ...headers, Allow: 'GET, HEAD' });
    res.end();
    return;
  }
  assets(req, res, () => {
    res.writeHead(404, headers);
    res.end();
  });
});

server.on('error', (err) => fail(`cannot listen on ${host}:${port}: ${err.message}`));
server.listen(port, host, () => {
  const address = server.address();
  process.stdout.write(`web client on http://${host}:${address.port} (gateway ${gatewayUrl})\n`);
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
