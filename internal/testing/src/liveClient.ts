import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

/**
 * A graphql-ws client on a gateway's WebSocket endpoint, authenticated with `token` (`connectionParams`), lazy, and
 * with no automatic retries: tests decide when to reconnect. `onClose` hears the socket's close code and reason.
 */
export function liveClient(
  wsUrl: string,
  token: string | null,
  onClose?: (code: number, reason: string) => void,
): Client {
  return createClient({
    url: wsUrl,
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    lazy: true,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    on: {
      closed: (event) => {
        const e = event as { code: number; reason: string };
        onClose?.(e.code, e.reason);
      },
    },
  });
}
