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
/** One connection through the proxy, and what the server sent that waits for its delay ({@link TcpProxy.slowAnswers}). */
interface Pair {
  client: net.Socket;
  upstream: net.Socket;
  /** In the order the server sent them, each with the time it may go to the client (never earlier than the last). */
  delayed: Array<{ at: number; forward: () => void }>;
  timer?: NodeJS.Timeout;
  /** The server side is gone: the client's side goes once what is delayed has been forwarded. */
  closing: boolean;
}

export class TcpProxy {
  private readonly pairs = new Set<Pair>();
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
    const pair: Pair = { client, upstream, delayed: [], closing: false };
    this.pairs.add(pair);
    // Nothing is read while frozen: bytes wait in the kernel buffers, and the peers see a silent connection. (Not
    // pipe(): it resumes a source by itself when its destination drains, which would end a freeze.)
    client.on('data', (chunk) => upstream.write(chunk));
    upstream.on('data', (chunk) => this.answer(pair, () => client.write(chunk)));
    client.on('end', () => upstream.end());
    upstream.on('end', () => this.answer(pair, () => client.end()));
    if (this.frozen) upstream.pause();
    else client.resume();
    const close = () => {
      if (!this.pairs.has(pair)) return;
      // What the server sent before it went away still reaches a client that is there, after its delay.
      if (pair.delayed.length > 0 && !client.destroyed) pair.closing = true;
      else this.drop(pair);
    };
    // Either side going away (a killed server, a client closing) ends the other, as a direct connection would.
    for (const socket of [client, upstream]) {
      socket.on('error', close);
      socket.on('close', close);
    }
  }

  /**
   * Delays every byte the server sends from now on (and its end of the connection) by `ms`; 0 forwards them at once
   * again, after what already waits. Whatever the delays, a connection's bytes reach the client in the order sent.
   */
  slowAnswers(ms: number): void {
    this.answerDelayMs = ms;
  }

  private answer(pair: Pair, forward: () => void): void {
    if (this.answerDelayMs === 0 && pair.delayed.length === 0) {
      forward();
      return;
    }
    const at = Math.max(Date.now() + this.answerDelayMs, pair.delayed.at(-1)?.at ?? 0);
    pair.delayed.push({ at, forward });
    this.schedule(pair);
  }

  /** One timer per connection, for the first of what waits (none while frozen). */
  private schedule(pair: Pair): void {
    if (pair.timer || this.frozen || pair.delayed.length === 0) return;
    pair.timer = setTimeout(
      () => {
        pair.timer = undefined;
        while (pair.delayed.length > 0 && pair.delayed[0]!.at <= Date.now()) pair.delayed.shift()!.forward();
        if (pair.closing && pair.delayed.length === 0) this.drop(pair);
        else this.schedule(pair);
      },
      Math.max(0, pair.delayed[0]!.at - Date.now()),
    );
  }

  /** Ends a connection now: both sockets, and what was waiting to be forwarded. */
  private drop(pair: Pair): void {
    this.pairs.delete(pair);
    clearTimeout(pair.timer);
    pair.timer = undefined;
    pair.delayed = [];
    pair.client.destroy();
    pair.upstream.destroy();
  }

  /** Stops forwarding anything, in both directions, on every connection, until {@link thaw}. */
  freeze(): void {
    this.frozen = true;
    for (const pair of this.pairs) {
      pair.client.pause();
      pair.upstream.pause();
      // Delayed answers wait too.
      clearTimeout(pair.timer);
      pair.timer = undefined;
    }
  }

  /** Forwards again, including what was held. */
  thaw(): void {
    this.frozen = false;
    for (const pair of this.pairs) {
      pair.client.resume();
      pair.upstream.resume();
      this.schedule(pair);
    }
  }

  /** Closes every connection and refuses new ones until {@link heal}. */
  cut(): void {
    this.isCut = true;
    for (const pair of [...this.pairs]) this.drop(pair);
  }

  /** Accepts and forwards connections again. */
  heal(): void {
    this.isCut = false;
  }

  /** Closes every connection and stops listening. */
  async close(): Promise<void> {
    for (const pair of [...this.pairs]) this.drop(pair);
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
