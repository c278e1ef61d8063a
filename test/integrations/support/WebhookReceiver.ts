import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

/** A delivery the receiver got, with whether its signature verified. */
export interface ReceivedDelivery {
  id: string;
  timestamp: string;
  signature: string;
  /** The parsed body, when the signature verified (`standardwebhooks`' `verify`). */
  body: { type: string; timestamp: string; data: Record<string, any> } | null;
  verified: boolean;
  /** The status it was answered with. */
  answered: number;
}

/**
 * A webhook endpoint on 127.0.0.1, as an integrator would write one: it verifies every request with
 * `standardwebhooks` and the secret it was given, records it, and answers what `answer` says (200 by default), or
 * nothing at all while `hang` is set. `secret` is set once the webhook exists.
 */
export class WebhookReceiver {
  readonly received: ReceivedDelivery[] = [];
  secret: string | undefined;
  /** The status to answer a request with (its webhook-id and how often that id came before). */
  answer: (id: string, seen: number) => number = () => 200;
  /** How long to wait before answering. */
  delayMs = 0;
  private server: http.Server | undefined;
  private port = 0;

  /** Starts listening (again on the same port after `stop`). */
  async start(): Promise<void> {
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const header = (name: string) => String(req.headers[name] ?? '');
        const id = header('webhook-id');
        let body: ReceivedDelivery['body'] = null;
        try {
          body = new Webhook(this.secret ?? '').verify(raw, {
            'webhook-id': id,
            'webhook-timestamp': header('webhook-timestamp'),
            'webhook-signature': header('webhook-signature'),
          }) as ReceivedDelivery['body'];
        } catch {
          body = null;
        }
        const seen = this.received.filter((r) => r.id === id).length;
        const answered = body ? this.answer(id, seen) : 400;
        this.received.push({
          id,
          timestamp: header('webhook-timestamp'),
          signature: header('webhook-signature'),
          body,
          verified: body !== null,
          answered,
        });
        setTimeout(() => res.writeHead(answered).end(), this.delayMs);
      });
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Stops listening (connections refused meanwhile). */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The URL to register. */
  get url(): string {
    return `http://127.0.0.1:${this.port}/hooks`;
  }

  /** The accepted (2xx) deliveries, once per webhook-id, in arrival order. */
  get accepted(): ReceivedDelivery[] {
    const seen = new Set<string>();
    return this.received.filter((r) => {
      if (r.answered < 200 || r.answered >= 300 || seen.has(r.id)) return false;
      seen.add(r.id);
      return true;
    });
  }
}
