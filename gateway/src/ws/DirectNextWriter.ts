import type { WebSocket } from 'ws';
import type { DirectWriter } from '../subscriptions/LiveSubscriber';
import { serializedBytes, type PreSerialized } from '../subscriptions/PreSerialized';
import { corkUntilNextTurn } from './corkUntilNextTurn';

/**
 * Unsent bytes a socket may hold before live events go through graphql-ws's paced path again: then each
 * subscription has at most one message in flight and a queue that closes it with `SLOW_CONSUMER` when full. Small
 * enough that a socket that stopped reading holds little more than it did on the paced path alone (10,000 stalled
 * sockets: at most 1.25 GiB besides the kernel's buffers), large enough for one event's frames to a connection with
 * dozens of subscriptions in one turn.
 */
export const DIRECT_WRITE_MAX_BUFFERED_BYTES = 128 * 1024;

const HEAD_START = Buffer.from('{"id":');
const HEAD_END = Buffer.from(',"type":"next","payload":');
const CLOSE_BRACE = 0x7d;

/**
 * Writes one subscription's live events straight to its socket as graphql-ws `next` messages,
 * `{"id":…,"type":"next","payload":…}`: the payload's UTF-8 bytes are encoded once per group event (shared by every
 * subscriber), so each delivery is two buffer copies and one frame — no promise, no serialization of the result.
 * Until its first write it keeps only the id (a string graphql-ws holds anyway), so an idle subscription pays a few
 * bytes for it. Writes while the socket is corked for the turn leave together (see corkUntilNextTurn).
 */
export class DirectNextWriter implements DirectWriter {
  /** `{"id":…,"type":"next","payload":`, made on the first write: an idle subscription never pays for it. */
  private head: Buffer | undefined;

  constructor(
    private readonly socket: WebSocket,
    private readonly id: string,
    private readonly maxBufferedBytes = DIRECT_WRITE_MAX_BUFFERED_BYTES,
  ) {}

  write(payload: PreSerialized): boolean {
    const { socket } = this;
    // A closed socket drops the event, as graphql-ws's path does; the subscription ends with the connection.
    if (socket.readyState !== socket.OPEN) return true;
    if (socket.bufferedAmount > this.maxBufferedBytes) return false;
    const json = serializedBytes(payload);
    const head = (this.head ??= Buffer.concat([HEAD_START, Buffer.from(JSON.stringify(this.id)), HEAD_END]));
    const message = Buffer.allocUnsafe(head.length + json.length + 1);
    head.copy(message, 0);
    json.copy(message, head.length);
    message[message.length - 1] = CLOSE_BRACE;
    corkUntilNextTurn(socket);
    socket.send(message, { binary: false });
    return true;
  }
}
