// Real HAProxy, with the deployed configuration (deploy/haproxyConfig.js), in front of two stand-in gateways on random
// ports: HTTP and WebSocket upgrades pass through, concurrent WebSockets are spread by leastconn, and clients keep being
// served when one gateway goes away. Skipped with a warning where haproxy is not installed.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import WebSocket, { WebSocketServer } from 'ws';
import { freePort } from '@chatgraph/testing';
import { haproxyConfig } from '../../deploy/haproxyConfig';

const haproxyInstalled = !spawnSync('haproxy', ['-v'], { stdio: 'ignore' }).error;
if (!haproxyInstalled)
  console.warn('haproxy is not installed: the HAProxy proxy tests are SKIPPED (apt-get install -y haproxy)');
const describeWithHaproxy = haproxyInstalled ? describe : describe.skip;

/** A stand-in gateway: /health, POST /graphql answering who it is, graphql-ws-style WebSockets on /graphql. */
class FakeGateway {
  readonly server: http.Server;
  readonly wss: WebSocketServer;
  constructor(readonly id: string) {
    this.server = http.createServer((req, res) => {
      if (req.url === '/health') {
        res.writeHead(200).end('ok');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ gateway: id, forwardedFor: req.headers['x-forwarded-for'] ?? null }));
    });
    this.wss = new WebSocketServer({
      server: this.server,
      path: '/graphql',
      handleProtocols: (protocols) => (protocols.has('graphql-transport-ws') ? 'graphql-transport-ws' : false),
    });
    this.wss.on('connection', (socket) => {
      socket.send(JSON.stringify({ gateway: id }));
      socket.on('message', (data) => socket.send(JSON.stringify({ gateway: id, echo: data.toString() })));
    });
  }

  listen(): Promise<number> {
    return new Promise((resolve) =>
      this.server.listen(0, '127.0.0.1', () => resolve((this.server.address() as AddressInfo).port)),
    );
  }

  /** Goes away like a killed process: every connection dropped, nothing listening. */
  async stop(): Promise<void> {
    for (const client of this.wss.clients) client.terminate();
    this.wss.close();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Opens a WebSocket through the proxy and resolves with it and the gateway that greeted it. */
function connect(url: string): Promise<{ socket: WebSocket; gateway: string; next: () => Promise<unknown> }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, 'graphql-transport-ws');
    const queue: unknown[] = [];
    const waiters: ((m: unknown) => void)[] = [];
    socket.on('message', (data) => {
      const message: unknown = JSON.parse(data.toString());
      const waiter = waiters.shift();
      if (waiter) waiter(message);
      else queue.push(message);
    });
    const next = () => new Promise<unknown>((res) => (queue.length ? res(queue.shift()) : waiters.push(res)));
    socket.once('error', reject);
    socket.once('open', () => {
      void next().then((hello) => resolve({ socket, gateway: (hello as { gateway: string }).gateway, next }));
    });
  });
}

async function post(url: string): Promise<{ status: number; body: { gateway: string; forwardedFor: string | null } }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  return { status: res.status, body: (await res.json()) as { gateway: string; forwardedFor: string | null } };
}

describeWithHaproxy('HAProxy in front of two gateways (deployed configuration)', () => {
  const gateways = [new FakeGateway('A'), new FakeGateway('B')];
  // Stands in for the notifications service, which answers the links of emails.
  const notifications = new FakeGateway('notifications');
  let haproxy: ChildProcess;
  let dir: string;
  let base: string;
  const sockets: WebSocket[] = [];

  beforeAll(async () => {
    const ports = await Promise.all(gateways.map((g) => g.listen()));
    const linksPort = await notifications.listen();
    const port = await freePort();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chatgraph-haproxy-'));
    const file = path.join(dir, 'haproxy.cfg');
    fs.writeFileSync(
      file,
      haproxyConfig({
        port,
        bindHost: '127.0.0.1',
        gateways: ports.map((p) => ({ host: '127.0.0.1', port: p })),
        emailLinks: { host: '127.0.0.1', port: linksPort },
      }),
    );
    haproxy = spawn('haproxy', ['-db', '-f', file], { stdio: 'ignore' });
    base = `127.0.0.1:${port}`;
    await waitUntil('HAProxy answers', async () => (await fetch(`http://${base}/haproxy/health`)).status === 200);
  });

  afterAll(async () => {
    for (const s of sockets) s.terminate();
    haproxy?.kill('SIGKILL');
    await Promise.all([...gateways, notifications].map((g) => g.stop().catch(() => undefined)));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('forwards /graphql only: other paths of the gateways are answered 404 by HAProxy', async () => {
    for (const p of ['/health', '/metrics', '/stats', '/ready', '/']) {
      expect({ path: p, status: (await fetch(`http://${base}${p}`)).status }).toEqual({ path: p, status: 404 });
    }
  });

  it('forwards the links of emails, and only them, to the notifications service', async () => {
    await waitUntil('the notifications backend is up', async () => (await fetch(`http://${base}/email/verify`)).ok);
    for (const [p, method] of [
      ['/email/verify?token=abc', 'GET'],
      ['/email/verify?token=abc', 'POST'],
      ['/email/unsubscribe?token=abc', 'POST'],
    ] as const) {
      const res = await fetch(`http://${base}${p}`, { method });
      expect({ p, method, status: res.status, by: ((await res.json()) as { gateway: string }).gateway }).toEqual({
        p,
        method,
        status: 200,
        by: 'notifications',
      });
    }
    for (const p of ['/email/', '/email/verify/x', '/email/metrics']) {
      expect({ path: p, status: (await fetch(`http://${base}${p}`)).status }).toEqual({ path: p, status: 404 });
    }
  });

  it('forwards GraphQL over HTTP to a gateway and tells it the client address', async () => {
    const res = await post(`http://${base}/graphql`);
    expect(res.status).toBe(200);
    expect(['A', 'B']).toContain(res.body.gateway);
    expect(res.body.forwardedFor).toBe('127.0.0.1');
  });

  it('upgrades WebSockets with the graphql-transport-ws subprotocol and spreads concurrent ones over both gateways', async () => {
    const first = await connect(`ws://${base}/graphql`);
    const second = await connect(`ws://${base}/graphql`);
    sockets.push(first.socket, second.socket);
    expect(first.socket.protocol).toBe('graphql-transport-ws');
    // leastconn: while the first connection is open, the second goes to the other gateway.
    expect(new Set([first.gateway, second.gateway])).toEqual(new Set(['A', 'B']));
    first.socket.send('ping');
    expect(await first.next()).toEqual({ gateway: first.gateway, echo: 'ping' });
  });

  it('keeps serving when a gateway goes away: its sockets close, new requests and sockets go to the other', async () => {
    const onA = await connect(`ws://${base}/graphql`);
    sockets.push(onA.socket);
    const victim = gateways.find((g) => g.id === onA.gateway)!;
    const survivor = gateways.find((g) => g !== victim)!;
    const closed = new Promise<void>((resolve) => onA.socket.once('close', () => resolve()));
    await victim.stop();
    await closed;

    // No request fails, even before the health checks mark the gateway down: a refused connection is redispatched.
    const answers = [];
    for (let i = 0; i < 10; i++) answers.push(await post(`http://${base}/graphql`));
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(200));
    expect(new Set(answers.map((a) => a.body.gateway))).toEqual(new Set([survivor.id]));

    const again = await connect(`ws://${base}/graphql`);
    sockets.push(again.socket);
    expect(again.gateway).toBe(survivor.id);
  });
});
