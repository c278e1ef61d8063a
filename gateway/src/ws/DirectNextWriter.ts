import type { WebSocket } from 'ws';
import type { DirectWriter } from '../subscriptions/LiveSubscriber';
import { serializedBytes, type PreSerialized } from '../subscriptions/PreSerialized';
import { corkUntilNextTurn } from './corkUntilNextTurn';

/**
 * Unsent bytes a socket may hold before live events go through graphql-ws's paced path again: then each
 * subscription has at most one message in flight and a queue that closes it with `SLOW_CONSUMER` when full.
 */
export const DIRECT_WRITE_MAX_BUFFERED_BYTES = 1024 * 1024;

const HEAD_START = Buffer.from('{"id":');
const HEAD_END = Buffer.from(',"type":"next","payload":');
const CLOSE_BRACE = 0x7d;

/**
 * Writes one subscription's live events straight to its socket as graphql-ws `next` messages,
 * `{"id":…,"type":"next","payload":…}`: the payload's UTF-8 bytes are encoded once per group event (shared by every
 * subscriber), so each delivery is a few buffer copies and one frame — no promise, no serialization of the result.
 * It keeps only the id (a string graphql-ws holds anyway), so an idle subscription pays a few bytes for it. Writes
 * while the socket is corked for the turn leave together (see corkUntilNextTurn).
 */
export class DirectNextWriter implements DirectWriter {
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
    const id = JSON.stringify(this.id);
    const idBytes = Buffer.byteLength(id);
    const message = Buffer.allocUnsafe(HEAD_START.length + idBytes + HEAD_END.length + json.length + 1);
    let at = HEAD_START.copy(message, 0);
    at += message.write(id, at, 'utf8');
    at += HEAD_END.copy(message, at);
    at += json.copy(message, at);
    message[at] = CLOSE_BRACE;
    corkUntilNextTurn(socket);
    socket.send(message, { binary: false });
    return true;
  }
}
