import { Socket } from 'node:net';
import type { WebSocket } from 'ws';

/**
 * Holds a socket's writes until the event loop's next turn, so the frames of every subscription on one connection
 * that an event produced leave in one `writev` instead of one system call each (most of the fan-out cost).
 */
export function corkUntilNextTurn(socket: WebSocket): void {
  // ws keeps its TCP socket in `_socket`; without it (a test double) frames are simply written one by one.
  const raw: unknown = Reflect.get(socket, '_socket');
  if (!(raw instanceof Socket) || raw.writableCorked > 0) return;
  raw.cork();
  setImmediate(() => raw.uncork());
}
