import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { createChatClient } from '../src/ChatClient.ts';

/**
 * `close()` while the WebSocket is still connecting, and the server then refuses the connection (as a gateway does
 * when the session ended under it): closing must resolve, not reject with the socket's CloseEvent — an app that
 * awaits `close()` on sign-out would otherwise stop half-way.
 */
describe('ChatClient.close', () => {
  let server: WebSocketServer;
  let url: string;
  beforeAll(async () => {
    server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  });
  afterAll(async () => {
    for (const socket of server.clients) socket.terminate();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('resolves while a connection attempt is refused under it', async () => {
    const initialised = new Promise<WebSocket>((resolve) =>
      server.once('connection', (socket) => socket.once('message', () => resolve(socket))),
    );
    const client = createChatClient({ url, getToken: () => 'token', webSocketImpl: WebSocket });
    const errors: unknown[] = [];
    client.myChatActivity({ next: () => {}, error: (e) => errors.push(e) });
    const socket = await initialised;
    const closing = client.close();
    socket.close(4401, 'Unauthorized');
    await expect(closing).resolves.toBeUndefined();
    expect(() => client.myChatActivity({ next: () => {} })).toThrow(/closed/);
  });
});
