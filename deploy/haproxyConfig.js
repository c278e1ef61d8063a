#!/usr/bin/env node
// The HAProxy configuration in front of the gateways, as a function of the addresses, so that tests can run real
// HAProxy in front of gateways on random ports with exactly the configuration that is deployed.
//
//   node deploy/haproxyConfig.js            print the compose configuration (gateway-1:4000, gateway-2:4000)
//   node deploy/haproxyConfig.js --write    write it to deploy/haproxy.cfg
//   node deploy/haproxyConfig.js --check    exit 1 when deploy/haproxy.cfg differs from it
//   GATEWAY_BALANCING=round-robin node deploy/haproxyConfig.js > haproxy.cfg
//                                           the same with another balancing strategy (see BALANCING), for a
//                                           deployment that mounts its own file; the committed one uses the default
'use strict';

const fs = require('node:fs');
const path = require('node:path');

/** The addresses of docker-compose.yml: the committed deploy/haproxy.cfg is `haproxyConfig(COMPOSE_ADDRESSES)`. */
const COMPOSE_ADDRESSES = Object.freeze({
  port: 4000,
  gateways: [
    { host: 'gateway-1', port: 4000 },
    { host: 'gateway-2', port: 4000 },
  ],
  emailLinks: { host: 'notifications', port: 4004 },
});

const COMMITTED_PATH = path.join(__dirname, 'haproxy.cfg');

/**
 * How HAProxy spreads new connections over the gateways, by the names the gateway uses for its own subgraph balancing,
 * with the HAProxy lines each one stands for:
 * - `least-connections` (the default): the gateway holding the fewest connections. WebSockets are long-lived, so this
 *   evens out open subscriptions, and a restarted gateway fills up first.
 * - `round-robin`: each gateway in turn (even request counts; uneven socket counts after a gateway restarts).
 * - `ip-hash`: a client address always reaches the same gateway (consistent hashing, so a gateway leaving moves only
 *   its own clients); useful to keep one client's sockets together, uneven behind NAT.
 */
const BALANCING = Object.freeze({
  'least-connections': ['balance leastconn'],
  'round-robin': ['balance roundrobin'],
  'ip-hash': ['balance source', 'hash-type consistent'],
});
const DEFAULT_BALANCING = 'least-connections';

/**
 * @typedef {object} GatewayAddress
 * @property {string} host a name (e.g. `gateway-1`) or an IP address
 * @property {number} port
 */

/**
 * @typedef {object} HaproxyAddresses
 * @property {number} port port HAProxy listens on for clients
 * @property {string} [bindHost] address HAProxy listens on; empty (the default) means every IPv4 address
 * @property {GatewayAddress[]} gateways the gateway instances
 * @property {GatewayAddress} [emailLinks] the notifications service, which answers the links of emails
 *   (`/email/verify`, `/email/unsubscribe`); unset: those paths are 404 like any other
 * @property {keyof typeof BALANCING} [balancing] how new connections are spread @default 'least-connections'
 */

/**
 * HAProxy configuration text: `/graphql` over HTTP and WebSocket balanced over the gateways (`leastconn` unless
 * `balancing` says otherwise), each gateway health-checked on `GET /health`; with `emailLinks`, the links of emails go
 * to the notifications service; any other path is answered 404 by HAProxy itself.
 * @param {HaproxyAddresses} addresses
 * @returns {string}
 */
function haproxyConfig({ port, bindHost = '', gateways, balancing = DEFAULT_BALANCING, emailLinks }) {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`haproxyConfig: bad port ${port}`);
  if (!Object.hasOwn(BALANCING, balancing)) {
    throw new Error(`haproxyConfig: unknown balancing ${balancing} (one of ${Object.keys(BALANCING).join(', ')})`);
  }
  if (!gateways.length) throw new Error('haproxyConfig: at least one gateway is needed');
  const servers = gateways.map(({ host, port: p }, i) => {
    if (!/^[\w.:-]+$/.test(host) || !Number.isInteger(p)) throw new Error(`haproxyConfig: bad gateway ${host}:${p}`);
    return `    server gateway-${i + 1} ${host.includes(':') ? `[${host}]` : host}:${p}`;
  });
  if (emailLinks && (!/^[\w.:-]+$/.test(emailLinks.host) || !Number.isInteger(emailLinks.port)))
    throw new Error(`haproxyConfig: bad emailLinks ${emailLinks.host}:${emailLinks.port}`);
  const linkHost = emailLinks && (emailLinks.host.includes(':') ? `[${emailLinks.host}]` : emailLinks.host);
  const routes = emailLinks
    ? `    # People open the links of emails (verify an address, unsubscribe) in a browser: the notifications service
    # answers them.
    acl api path /graphql
    acl email_link path /email/verify /email/unsubscribe
    http-request deny deny_status 404 unless api or email_link
    option forwardfor
    use_backend email_links if email_link
    default_backend gateways`
    : `    http-request deny deny_status 404 unless { path /graphql }
    option forwardfor
    default_backend gateways`;
  const linkBackend = emailLinks
    ? `
backend email_links
    option httpchk GET /health
    http-check expect status 200
    default-server check inter 2s fall 2 rise 2 init-addr last,libc,none resolvers system
    server notifications ${linkHost}:${emailLinks.port}
`
    : '';
  return `# chatgraph: HAProxy in front of the gateways. GraphQL over HTTP and graphql-ws WebSockets share /graphql.
# Generated by deploy/haproxyConfig.js: edit that file, then run \`node deploy/haproxyConfig.js --write\`.

global
    log stdout format raw local0 info
    # maxconn is derived from the file-descriptor limit (about half of it); this caps what HAProxy asks for, so it
    # starts under a low limit and does not reserve memory for millions of connections under a huge one.
    fd-hard-limit 100000

defaults
    mode http
    log global
    option httplog
    option dontlognull
    # A request whose connection to a gateway fails is retried at once on another gateway (every retry redispatches:
    # gateways are stateless), before the health checks have noticed.
    option redispatch 1
    retries 2
    timeout connect 3s
    timeout client 60s
    timeout server 60s
    timeout http-request 10s
    timeout http-keep-alive 10s
    timeout queue 10s
    # A health check may wait this long for its answer once connected. A dead gateway refuses the connection at once,
    # so this only spares a gateway that is alive but busy: without it the check's limit is its interval (500 ms while
    # a gateway changes state), a gateway busy with a reconnect wave misses two checks, is marked down and loses all
    # its sockets (shutdown-sessions), and the wave moves to the other gateway, which then fares the same.
    timeout check 5s
    # After "101 Switching Protocols" a WebSocket is a tunnel: only this timeout applies, so idle subscriptions stay
    # open for an hour. No "option http-server-close": connections to the gateways are kept alive and reused, and
    # HAProxy switches an upgraded connection to tunnel mode in any HTTP mode.
    timeout tunnel 1h
    timeout client-fin 10s
    timeout server-fin 10s

# Gateway names are looked up again while running, so a restarted container with a new address is found.
resolvers system
    parse-resolv-conf
    hold valid 10s

frontend graphql
    bind ${bindHost}:${port}
    # HAProxy's own liveness, for container health checks; never forwarded.
    monitor-uri /haproxy/health
    # Clients reach the API and nothing else: a gateway's /health and /ready are for these checks and orchestrators,
    # and its admin server (/metrics, on another port) is never a backend here.
${routes}

backend gateways
${balanceComment(balancing)}
${BALANCING[balancing].map((line) => `    ${line}`).join('\n')}
    option httpchk GET /health
    http-check expect status 200
    # A gateway marked down loses its sessions at once, so clients reconnect to a live one and resume with afterSeq.
    # fastinter: once a check fails, the next comes after 500 ms instead of 2 s, so a dead or draining gateway is marked
    # down in about 2.5 s rather than 4 (until then a reconnect that leastconn sends to it is refused and redispatched,
    # or answered 503 while it drains, and the client retries). Connection errors alone do not mark a gateway down
    # ("observe layer4"): with shutdown-sessions that would also cut the request being redispatched.
    # init-addr: start even when a gateway name does not resolve yet; it is resolved again later.
    default-server check inter 2s fastinter 500ms fall 2 rise 2 on-marked-down shutdown-sessions init-addr last,libc,none resolvers system
${servers.join('\n')}
${linkBackend}`;
}

/** The comment above the balance line (the default's is the one in the committed file). */
function balanceComment(balancing) {
  if (balancing === 'least-connections') {
    return '    # Subscriptions are long-lived connections: new ones go to the gateway that holds the fewest.';
  }
  return `    # Balancing: ${balancing} (GATEWAY_BALANCING).`;
}

module.exports = { haproxyConfig, BALANCING, DEFAULT_BALANCING, COMPOSE_ADDRESSES, COMMITTED_PATH };

if (require.main === module) {
  const balancing = process.env.GATEWAY_BALANCING || DEFAULT_BALANCING;
  if (!Object.hasOwn(BALANCING, balancing)) {
    process.stderr.write(`GATEWAY_BALANCING: one of ${Object.keys(BALANCING).join(', ')} (got ${balancing})\n`);
    process.exit(64);
  }
  const text = haproxyConfig({ ...COMPOSE_ADDRESSES, balancing });
  const arg = process.argv[2];
  if ((arg === '--write' || arg === '--check') && balancing !== DEFAULT_BALANCING) {
    // The committed deploy/haproxy.cfg is the default; another strategy is a file of the deployment's own.
    process.stderr.write(`${arg} is for the committed file (${DEFAULT_BALANCING}): print the configuration instead\n`);
    process.exit(64);
  }
  if (arg === '--write') {
    fs.writeFileSync(COMMITTED_PATH, text);
  } else if (arg === '--check') {
    const committed = fs.existsSync(COMMITTED_PATH) ? fs.readFileSync(COMMITTED_PATH, 'utf8') : '';
    if (committed !== text) {
      process.stderr.write('deploy/haproxy.cfg is stale: run `node deploy/haproxyConfig.js --write`\n');
      process.exit(1);
    }
  } else if (arg === undefined) {
    process.stdout.write(text);
  } else {
    process.stderr.write('Usage: node deploy/haproxyConfig.js [--write | --check]\n');
    process.exit(64);
  }
}
