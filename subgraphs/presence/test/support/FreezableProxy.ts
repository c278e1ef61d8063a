import net from 'node:net';

/**
 * A TCP proxy in front of a Redis that can stop passing replies back while still accepting commands: a server that
 * hangs instead of refusing, which only a command timeout can get a client out of.
 */
export class FreezableProxy {
  private frozen = false;
  private held: Array<() => void> = [];
  private readonly sockets = new Set<net.Socket>();

  private constructor(private readonly server: net.Server) {}

  /** Starts a proxy to `127.0.0.1:<targetPort>` on a free port. */
  static async start(targetPort: number): Promise<FreezableProxy> {
    const server = net.createServer();
    const proxy = new FreezableProxy(server);
    server.on('connection', (client) => {
      const upstream = net.connect(targetPort, '127.0.0.1');
      for (const s of [client, upstream]) {
        proxy.sockets.add(s);
        s.on('error', () => undefined);
        s.on('close', () => {
          proxy.sockets.delete(s);
          client.destroy();
          upstream.destroy();
        });
      }
      client.on('data', (chunk) => upstream.write(chunk));
      upstream.on('data', (chunk) => {
        const deliver = () => client.write(chunk);
        if (proxy.frozen) proxy.held.push(deliver);
        else deliver();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  /** `redis://127.0.0.1:<port>` of the proxy. */
  get url(): string {
    return `redis://127.0.0.1:${(this.server.address() as net.AddressInfo).port}`;
  }

  /** Holds every reply from now on. */
  freeze(): void {
    this.frozen = true;
  }

  /** Delivers the held replies and passes replies through again. */
  thaw(): void {
    this.frozen = false;
    for (const deliver of this.held.splice(0)) deliver();
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
