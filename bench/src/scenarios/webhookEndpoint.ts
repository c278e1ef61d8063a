// The integrator's side of scenario 6 (pipeline.ts): the webhook endpoint that receives the deliveries, and the
// webhook's creation against a saturated gateway.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gatewayRequest } from '@chatgraph/testing';

/**
 * A webhook endpoint as an integrator runs one, on 127.0.0.1: answers 200 at once and records, per delivery
 * (`webhook-id`, counted once), the time from the event's commit (the body's `timestamp`) to its arrival.
 */
export class LatencyReceiver {
  readonly latencies: number[] = [];
  private readonly seen = new Set<string>();
  private server: http.Server | undefined;
  /**
   * Only messages whose text starts with this count (the phase's own: a late delivery of a warm-up message must not
   * count in the live phase).
   */
  phase = '';
  /** TCP connections the notifier opened to it since the last {@link reset} (keep-alive reuse shows as few). */
  connections = 0;

  get received(): number {
    return this.seen.size;
  }

  async start(): Promise<string> {
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const arrived = Date.now();
        const id = String(req.headers['webhook-id'] ?? '');
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
          timestamp: string;
          data?: { message?: { text?: string } };
        };
        if (!this.seen.has(id) && (body.data?.message?.text ?? '').startsWith(this.phase)) {
          this.seen.add(id);
          this.latencies.push(arrived - Date.parse(body.timestamp));
        }
        res.writeHead(200).end();
      });
    });
    server.keepAliveTimeout = 60_000;
    server.on('connection', () => this.connections++);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.server = server;
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  }

  /** Forgets what it received (between phases). */
  reset(): void {
    this.seen.clear();
    this.latencies.length = 0;
    this.connections = 0;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }
}

/**
 * Creates the sender's webhook, retrying a `SERVICE_UNAVAILABLE` answer as a client does (a saturated machine makes the
 * gateway give up on the notifications service now and then). A mutation the gateway gave up on may still have been
 * carried out, so before each retry the sender's webhooks are read: one already there is not created twice (two would
 * double the deliveries counted).
 */
export async function createWebhookOnce(url: string, token: string, hookUrl: string, chatId: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const hook = await gatewayRequest(
      url,
      token,
      'mutation($u: String!, $c: [ID!]!) { createWebhook(url: $u, events: [MESSAGE_CREATED], chatIds: $c) { secret } }',
      { u: hookUrl, c: [chatId] },
    );
    if (!hook.errors?.length) return;
    const unavailable = hook.errors.every((e) => e.extensions?.code === 'SERVICE_UNAVAILABLE');
    if (!unavailable || attempt >= 5) throw new Error(`createWebhook failed: ${JSON.stringify(hook.errors)}`);
    await new Promise((r) => setTimeout(r, 500 * attempt));
    const mine = await gatewayRequest<{ myWebhooks: Array<{ url: string }> }>(url, token, '{ myWebhooks { url } }');
    if (mine.data?.myWebhooks.some((w) => w.url === hookUrl)) return;
  }
}
