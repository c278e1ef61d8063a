import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { DirectNextWriter } from '../src/ws/DirectNextWriter';
import { preSerialized } from '../src/subscriptions/PreSerialized';

/** A real WebSocket pair on 127.0.0.1: the server side is what the gateway writes to. */
async function socketPair(): Promise<{ server: WebSocket; client: WebSocket; close(): Promise<void> }> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((r) => wss.once('listening', r));
  const accepted = new Promise<WebSocket>((r) => wss.once('connection', r));
  const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`);
  await new Promise((r, j) => client.once('open', r).once('error', j));
  const server = await accepted;
  return {
    server,
    client,
    close: async () => {
      client.terminate();
      for (const s of wss.clients) s.terminate();
      await new Promise((r) => wss.close(r));
    },
  };
}

describe('DirectNextWriter', () => {
  it("writes graphql-ws next messages the client parses, multi-byte text and the operation's id intact", async () => {
    const pair = await socketPair();
    try {
      const received: unknown[] = [];
      pair.client.on('message', (data, isBinary) => {
        expect(isBinary).toBe(false);
        received.push(JSON.parse(String(data)));
      });
      const payload = preSerialized(JSON.stringify({ data: { text: 'héllo 🌍 "quoted" \\ end' } }));
      // An id with characters JSON must escape is written escaped, never spliced raw.
      const writers = [new DirectNextWriter(pair.server, 'op-1'), new DirectNextWriter(pair.server, 'a"b\\c')];
      for (const writer of writers) expect(writer.write(payload)).toBe(true);
      expect(writers[0]!.write(preSerialized('{"data":null}'))).toBe(true);
      await waitFor(() => received.length === 3);
      expect(received).toEqual([
        { id: 'op-1', type: 'next', payload: { data: { text: 'héllo 🌍 "quoted" \\ end' } } },
        { id: 'a"b\\c', type: 'next', payload: { data: { text: 'héllo 🌍 "quoted" \\ end' } } },
        { id: 'op-1', type: 'next', payload: { data: null } },
      ]);
    } finally {
      await pair.close();
    }
  });

  it('refuses to write once the socket holds more unsent bytes than its limit (a client that stopped reading)', async () => {
    const pair = await socketPair();
    try {
      // The client stops reading: the kernel buffers fill, then the server's socket buffers.
      Reflect.get(pair.client, '_socket').pause();
      const writer = new DirectNextWriter(pair.server, 'op-1', 64 * 1024);
      const payload = preSerialized(JSON.stringify({ data: { text: 'x'.repeat(16 * 1024) } }));
      let written = 0;
      let refused = false;
      for (let i = 0; i < 10_000 && !refused; i++) {
        if (writer.write(payload)) written++;
        else refused = true;
        // Let the writes leave the cork and fill the kernel's buffers.
        if (i % 16 === 15) await new Promise((r) => setImmediate(r));
      }
      expect(refused).toBe(true);
      expect(written).toBeGreaterThanOrEqual(4);
      // Refused writes add nothing: the buffer stays near the limit instead of growing with every event.
      expect(pair.server.bufferedAmount).toBeLessThan(64 * 1024 + 17 * 16 * 1024 + 1024);
    } finally {
      await pair.close();
    }
  });
});

async function waitFor(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 5));
  }
}
