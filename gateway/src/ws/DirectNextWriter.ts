import type { WebSocket } from 'ws';
import type { DirectWriter } from '../subscriptions/LiveSubscriber';
import { serializedBytes, type PreSerialized } from '../subscriptions/PreSerialized';
import { corkUntilNextTurn } from './corkUntilNextTurn';

/**
 * Unsent bytes a socket may hold before live events go through graphql-ws's paced path again: then each
 * subscription has at most one message in flight and a queue that closes it with `SLOW_CONSUMER` when full.
 */
export const DIRECT_WRITE_MAX_BUFFERED_BYTES = 1024 * 1024;

const CLOSE_BRACE = 0x7d;

/**
 * Writes one subscription's live events straight to its socket as graphql-ws `next` messages,
 * `{"id":…,"type":"next","payload":…}`: the message head is made once per subscription, the payload's UTF-8 bytes
 * once per group event (shared by every subscriber), so each delivery is one buffer copy and one frame — no promise,
 * no serialization. Writes while the socket is corked for the turn leave together (see corkUntilNextTurn).
 */
export class DirectNextWriter implements DirectWriter {
  private readonly head: string;
  private readonly headBytes: number;

  constructor(
    private readonly socket: WebSocket,
    id: string,
    private readonly maxBufferedBytes = DIRECT_WRITE_MAX_BUFFERED_BYTES,
  ) {
    this.head = `{"id":${JSON.stringify(id)},"type":"next","payload":`;
    this.headBytes = Buffer.byteLength(this.head);
  }

  write(payload: PreSerialized): boolean {
    const { socket } = this;
    // A closed socket drops the event, as graphql-ws's path does; the subscription ends with the connection.
    if (socket.readyState !== socket.OPEN) return true;
    if (socket.bufferedAmount > this.maxBufferedBytes) return false;
    const json = serializedBytes(payload);
    const message = Buffer.allocUnsafe(this.headBytes + json.length + 1);
    message.write(this.head, 0, 'utf8');
    json.copy(message, this.headBytes);
    message[message.length - 1] = CLOSE_BRACE;
    corkUntilNextTurn(socket);
    socket.send(message, { binary: false });
    return true;
  }
}
