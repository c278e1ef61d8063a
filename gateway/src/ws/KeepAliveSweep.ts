import type { WebSocket } from 'ws';

/**
 * One keep-alive timer for every socket of a server, not one per connection: every `intervalMs` each socket that
 * answered the previous ping (or opened since) is pinged again, and one that did not is dropped (a peer that vanished
 * without closing, a stalled network path).
 */
export class KeepAliveSweep {
  private readonly alive = new WeakSet<WebSocket>();
  private readonly timer: NodeJS.Timeout;

  constructor(sockets: Iterable<WebSocket>, intervalMs: number) {
    this.timer = setInterval(() => {
      for (const socket of sockets) {
        if (this.alive.delete(socket)) socket.ping();
        else socket.terminate();
      }
    }, intervalMs);
    this.timer.unref();
  }

  /** Follows `socket` from now until it closes. */
  watch(socket: WebSocket): void {
    this.alive.add(socket);
    socket.on('pong', () => this.alive.add(socket));
    socket.once('close', () => this.alive.delete(socket));
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
