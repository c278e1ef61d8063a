import { Socket } from 'node:net';

/**
 * Makes the frames amqplib writes to a RabbitMQ connection in one turn of the event loop leave in one system call.
 * amqplib writes each frame to the socket on its own: a publish is three frames, and every ack, every consumer's
 * `basic.qos` and every confirm-mode publish is at least one, written from its channel's buffer as the channels take
 * turns. With Nagle's algorithm off (see `AMQP_SOCKET_OPTIONS`) each of those writes is a system call and a TCP
 * segment of its own, for us and for the broker. Here the socket is corked at the first write of a turn and uncorked
 * once the turn's synchronous work and its microtasks are done (`process.nextTick`), so the frames go out together,
 * in the order written, without waiting for anything later.
 *
 * `connection` is amqplib's (what amqp-connection-manager's `connect` event carries); one without a TCP socket (a
 * test double) is left alone. Applying it twice to a connection has no further effect.
 */
export function coalesceFrameWrites(connection: unknown): void {
  const socket = (connection as { connection?: { stream?: unknown } } | undefined)?.connection?.stream;
  if (!(socket instanceof Socket) || COALESCED.has(socket)) return;
  COALESCED.add(socket);
  const write = socket.write;
  let corked = false;
  const uncork = () => {
    corked = false;
    socket.uncork();
  };
  socket.write = function (this: Socket, ...args: unknown[]): boolean {
    if (!corked) {
      corked = true;
      socket.cork();
      process.nextTick(uncork);
    }
    return (write as (...a: unknown[]) => boolean).apply(this, args);
  } as Socket['write'];
}

/** Sockets already coalescing. */
const COALESCED = new WeakSet<Socket>();
