import http, { type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The notifier's admin port: `/health` (200 while running, 503 while draining) and `/status` (JSON: which shards
 * this process relays, what its consumers counted, whether RabbitMQ is connected). No GraphQL, nothing to write.
 */
export class AdminServer {
  private readonly server: Server;
  private draining = false;

  constructor(status: () => unknown) {
    this.server = http.createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      const send = (code: number, body: unknown) => {
        res.writeHead(code, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (path === '/health') return send(this.draining ? 503 : 200, { status: this.draining ? 'draining' : 'ok' });
      if (path === '/status') return send(200, status());
      send(404, { error: `no route ${path}` });
    });
  }

  /** Listens; resolves with the port. */
  async listen(port: number, host: string): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, resolve);
    });
    return (this.server.address() as AddressInfo).port;
  }

  /** /health answers 503 from now on (the process is stopping). */
  drain(): void {
    this.draining = true;
  }

  /** Stops listening. */
  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
