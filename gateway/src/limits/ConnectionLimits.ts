import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from '@chatgraph/logging';
import type { RateLimits, Verdict } from '@chatgraph/ratelimit';
import type { ClientAddresses } from '../auth/ClientAddresses';

/**
 * Limits on new WebSocket connections, shared by every gateway through Redis: per client address at the HTTP upgrade
 * (refused with `429 Too Many Requests` and `Retry-After` before any WebSocket exists) and per user at
 * `connection_init`, once the token says who it is (closed with `RateLimited`, see `LiveSocketServer`).
 */
export class ConnectionLimits {
  constructor(
    private readonly limits: RateLimits,
    private readonly addresses: ClientAddresses,
    private readonly logger: Logger,
  ) {}

  /** Whether an upgrade request may go on; when not, the socket has been answered 429 and ended. */
  async admitUpgrade(req: IncomingMessage, socket: Duplex): Promise<boolean> {
    const address = this.addresses.of(req);
    if (address === undefined) return true;
    const verdict = await this.limits.socketsPerAddress.take(address);
    if (verdict.allowed) return true;
    const body = JSON.stringify({
      errors: [
        {
          message: 'Too many new connections from your address; try again later.',
          extensions: { code: 'RATE_LIMITED', retryAfterMs: verdict.retryAfterMs },
        },
      ],
    });
    this.logger.debug({ address, retryAfterMs: verdict.retryAfterMs }, 'websocket upgrade rate-limited');
    socket.end(
      'HTTP/1.1 429 Too Many Requests\r\n' +
        `Retry-After: ${Math.ceil(verdict.retryAfterMs / 1000)}\r\n` +
        'Content-Type: application/json\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        'Connection: close\r\n\r\n' +
        body,
    );
    return false;
  }

  /** Counts a new connection of `userId` (at connection_init). */
  admitUser = (userId: string): Promise<Verdict> => this.limits.socketsPerUser.take(userId);
}
