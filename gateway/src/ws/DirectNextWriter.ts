import type { WebSocket } from 'ws';
import type { DirectWriter } from '../subscriptions/LiveSubscriber';
import { serializedBytes, type PreSerialized } from '../subscriptions/PreSerialized';
import { corkUntilNextTurn } from './corkUntilNextTurn';

/**
 * Unsent bytes a socket may hold before live events go through the paced path again (see LiveOperation): then each
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
 * `{"id":…,"type":"next","payload":` for one operation, in a buffer of its own: kept as long as the subscription, it
 * must not be a slice of Node's shared 8 KiB pool, which it would keep alive with whatever else was cut from it.
 */
function headOf(id: string): Buffer {
  const quoted = JSON.stringify(id);
  const head = Buffer.allocUnsafeSlow(HEAD_START.length + Buffer.byteLength(quoted) + HEAD_END.length);
  HEAD_START.copy(head, 0);
  const at = HEAD_START.length + head.write(quoted, HEAD_START.length);
  HEAD_END.copy(head, at);
  return head;
}

/**
 * Writes one subscription's live events straight to its socket as graphql-transport-ws `next` messages,
 * `{"id":…,"type":"next","payload":…}`: the payload's UTF-8 bytes are encoded once per group event (shared by every
 * subscriber), so each delivery is two buffer copies and one frame — no promise, no serialization of the result.
 * Until its first write it keeps only the id (the key its connection holds anyway), so an idle subscription pays a
 * few bytes for it. Writes while the socket is corked for the turn leave together (see corkUntilNextTurn).
 */
export class DirectNextWriter implements DirectWriter {
  /** `{"id":…,"type":"next","payload":`, made on the first write: an idle subscription never pays for it. */
  private head: Buffer | undefined;

  constructor(
    protected readonly socket: WebSocket,
    readonly id: string,
    private readonly maxBufferedBytes = DIRECT_WRITE_MAX_BUFFERED_BYTES,
  ) {}

  write(payload: PreSerialized): boolean {
    const { socket } = this;
    // A closed socket drops the event; the subscription ends with the connection.
    if (socket.readyState !== socket.OPEN) return true;
    if (socket.bufferedAmount > this.maxBufferedBytes) return false;
    corkUntilNextTurn(socket);
    socket.send(this.message(payload), { binary: false });
    return true;
  }

  /**
   * The paced path: writes `payload` whatever the socket holds, and calls `written` once ws has handed it to the
   * kernel (with an error when the socket failed or closed first), so the caller takes the next event only then.
   */
  writePaced(payload: PreSerialized, written: (err?: Error) => void): void {
    const { socket } = this;
    if (socket.readyState !== socket.OPEN) return written(new Error('socket closed'));
    corkUntilNextTurn(socket);
    socket.send(this.message(payload), { binary: false }, written);
  }

  /** The `next` message around `payload`: two buffer copies. */
  private message(payload: PreSerialized): Buffer {
    const json = serializedBytes(payload);
    const head = (this.head ??= headOf(this.id));
    const message = Buffer.allocUnsafe(head.length + json.length + 1);
    head.copy(message, 0);
    json.copy(message, head.length);
    message[message.length - 1] = CLOSE_BRACE;
    return message;
  }
}
