/**
 * The webhook sender against a real endpoint on 127.0.0.1: what it sends, and how each kind of answer ends an attempt
 * (a status, a redirect not followed, an oversized answer, no answer in time, a refused target).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { EgressGuard, EgressRefused, egressPolicyFromConfig } from '@chatgraph/egress';
import { WebhookSender } from '../src/webhooks/WebhookSender';

const development = egressPolicyFromConfig({ NODE_ENV: 'development', WEBHOOK_ALLOW_PRIVATE_TARGETS: false });
const production = egressPolicyFromConfig({ NODE_ENV: 'production', WEBHOOK_ALLOW_PRIVATE_TARGETS: false });

describe('WebhookSender', () => {
  let server: http.Server;
  let base: string;
  const seen: Array<{ path: string; headers: http.IncomingHttpHeaders; body: string }> = [];
  const guard = new EgressGuard(development);
  const sender = new WebhookSender({ egress: guard, timeoutMs: 300 });

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.push({ path: req.url!, headers: req.headers, body: Buffer.concat(chunks).toString() });
        if (req.url === '/gone') res.writeHead(410).end();
        else if (req.url === '/moved') res.writeHead(301, { location: '/ok' }).end();
        else if (req.url === '/big') res.writeHead(200).end('x'.repeat(1024 * 1024));
        else if (req.url === '/silent')
          return; // never answers
        else res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    guard.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('POSTs the body as JSON with the signature headers, to the path and query given', async () => {
    const body = JSON.stringify({ type: 'message.created', data: { text: 'héllo' } });
    const status = await sender.post(
      `${base}/hook?tenant=7`,
      { 'webhook-id': 'msg_1', 'webhook-signature': 'v1,x' },
      body,
    );
    expect(status).toBe(204);
    const got = seen.at(-1)!;
    expect(got.path).toBe('/hook?tenant=7');
    expect(got.body).toBe(body);
    expect(got.headers).toMatchObject({
      'webhook-id': 'msg_1',
      'webhook-signature': 'v1,x',
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(body)),
      'user-agent': 'chatgraph-webhooks/1',
    });
  });

  it('answers the status of a 410 and of a redirect, which it does not follow', async () => {
    expect(await sender.post(`${base}/gone`, {}, '{}')).toBe(410);
    const before = seen.length;
    expect(await sender.post(`${base}/moved`, {}, '{}')).toBe(301);
    expect(seen.slice(before).map((s) => s.path)).toEqual(['/moved']);
  });

  it('reads the status of an oversized answer and goes on sending', async () => {
    expect(await sender.post(`${base}/big`, {}, '{}')).toBe(200);
    expect(await sender.post(`${base}/hook`, {}, '{}')).toBe(204);
  });

  it('gives up on an endpoint that does not answer in time', async () => {
    await expect(sender.post(`${base}/silent`, {}, '{}')).rejects.toThrow('no answer within 300 ms');
  });

  it('refuses a target the egress policy forbids without connecting', async () => {
    const strict = new WebhookSender({ egress: new EgressGuard(production), timeoutMs: 300 });
    const before = seen.length;
    await expect(strict.post(`${base}/hook`, {}, '{}')).rejects.toBeInstanceOf(EgressRefused);
    expect(seen.length).toBe(before);
  });
});
