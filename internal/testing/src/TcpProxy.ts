import net from 'node:net';

/**
 * A TCP proxy on a free loopback port in front of a local port, that can stop answering: {@link freeze} stops
 * forwarding in both directions on every connection (new ones are accepted and held too), like a server or a
 * network path that hangs without closing anything; {@link thaw} forwards again, what was held included. For tests
 * that need a peer that neither answers nor fails (a frozen Redis, a stalled client socket). {@link cut} is the
 * other kind of partition: every connection is closed and new ones are refused (nothing held, nothing delivered
 * later) until {@link heal}, while the server behind stays up for everyone else. {@link slowAnswers} delays what the
 * server sends, in order, like a slow path back from a busy server.
 */
export class TcpProxy {
  private readonly pairs = new Set<{ client: net.Socket; upstream: net.Socket }>();
  private frozen = false;
  private isCut = false;
  private answerDelayMs = 0;

  private constructor(
    private readonly server: net.Server,
    readonly port: number,
    private readonly targetPort: number,
  ) {
    server.on('connection', (client) => this.accept(client));
  }

  /** Starts a proxy to `127.0.0.1:<targetPort>`. */
  static async start(targetPort: number): Promise<TcpProxy> {
    const server = net.createServer({ pauseOnConnect: true });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return new TcpProxy(server, (server.address() as net.AddressInfo).port, targetPort);
  }

  /** Connections open through the proxy. */
  get connections(): number {
    return this.pairs.size;
  }

  /** Whether the proxy holds everything ({@link freeze}). */
  get isFrozen(): boolean {
    return this.frozen;
  }

  private accept(client: net.Socket): void {
    if (this.isCut) {
      client.destroy();
      return;
    }
    const upstream = net.connect(this.targetPort, '127.0.0.1');
    const pair = { client, upstream };
    this.pairs.add(pair);
    // Nothing is read while frozen: bytes wait in the kernel buffers, and the peers see a silent connection. (Not
    // pipe(): it resumes a source by itself when its destination drains, which would end a freeze.)
    client.on('data', (chunk) => upstream.write(chunk));
    upstream.on('data', (chunk) => this.answer(() => client.write(chunk)));
    client.on('end', () => upstream.end());
    upstream.on('end', () => this.answer(() => client.end()));
    if (this.frozen) upstream.pause();
    else client.resume();
    const close = () => {
      if (!this.pairs.delete(pair)) return;
      client.destroy();
      upstream.destroy();
    };
    // Either side going away (a killed server, a client closing) ends the other, as a direct connection would.
    for (const socket of [client, upstream]) {
      socket.on('error', close);
      socket.on('close', close);
    }
  }

  /**
   * Delays every byte the server sends (and its end of the connection) by `ms` from now on; 0 forwards them at once
   * again. Timers of one duration fire in the order they were set, so the bytes keep their order.
   */
  slowAnswers(ms: number): void {
    this.answerDelayMs = ms;
  }

  private answer(forward: () => void): void {
    if (this.answerDelayMs > 0) setTimeout(forward, this.answerDelayMs);
    else forward();
  }

  /** Stops forwarding anything, in both directions, on every connection, until {@link thaw}. */
  freeze(): void {
    this.frozen = true;
    for (const { client, upstream } of this.pairs) {
      client.pause();
      upstream.pause();
    }
  }

  /** Forwards again, including what was held. */
  thaw(): void {
    this.frozen = false;
    for (const { client, upstream } of this.pairs) {
      client.resume();
      upstream.resume();
    }
  }

  /** Closes every connection and refuses new ones until {@link heal}. */
  cut(): void {
    this.isCut = true;
    for (const { client, upstream } of this.pairs) {
      client.destroy();
      upstream.destroy();
    }
    this.pairs.clear();
  }

  /** Accepts and forwards connections again. */
  heal(): void {
    this.isCut = false;
  }

  /** Closes every connection and stops listening. */
  async close(): Promise<void> {
    for (const { client, upstream } of this.pairs) {
      client.destroy();
      upstream.destroy();
    }
    this.pairs.clear();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
