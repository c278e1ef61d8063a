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

  // One listener for every socket (an emitter calls it with the socket as `this`): a closure per socket would be
  // held as long as the socket. `on`, not `once`, for 'close' (emitted once anyway): `once` wraps each listener in a
  // bound function of its own.
  private readonly onPong = onPongOf(this.alive);
  private readonly onClose = onCloseOf(this.alive);

  /** Follows `socket` from now until it closes. */
  watch(socket: WebSocket): void {
    this.alive.add(socket);
    socket.on('pong', this.onPong);
    socket.on('close', this.onClose);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

function onPongOf(alive: WeakSet<WebSocket>) {
  return function onPong(this: WebSocket) {
    alive.add(this);
  };
}

function onCloseOf(alive: WeakSet<WebSocket>) {
  return function onClose(this: WebSocket) {
    alive.delete(this);
  };
}
