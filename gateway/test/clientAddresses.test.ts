import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ClientAddresses } from '../src/auth/ClientAddresses';

/** The address `addresses` gives a real request from this process (loopback) carrying `headers`. */
async function addressSeen(addresses: ClientAddresses, headers: Record<string, string>): Promise<string | undefined> {
  const server = http.createServer((req, res) => res.end(JSON.stringify({ address: addresses.of(req) ?? null })));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const res = await fetch(`http://127.0.0.1:${port}/`, { headers });
    return ((await res.json()) as { address: string | null }).address ?? undefined;
  } finally {
    server.close();
  }
}

describe('ClientAddresses', () => {
  it('is the socket peer when there is no proxy header', async () => {
    expect(await addressSeen(new ClientAddresses(['loopback']), {})).toBe('127.0.0.1');
  });

  it('believes X-Forwarded-For from a trusted proxy, taking the nearest address that is not a proxy', async () => {
    const behindProxy = new ClientAddresses(['loopback', '10.0.0.0/8']);
    expect(await addressSeen(behindProxy, { 'x-forwarded-for': '203.0.113.9' })).toBe('203.0.113.9');
    // A client that sends its own header gets its fake entry ignored: HAProxy appends the real peer after it.
    expect(await addressSeen(behindProxy, { 'x-forwarded-for': '1.2.3.4, 198.51.100.7, 10.1.2.3' })).toBe(
      '198.51.100.7',
    );
  });

  it('ignores X-Forwarded-For when the peer is not a trusted proxy', async () => {
    expect(await addressSeen(new ClientAddresses([]), { 'x-forwarded-for': '203.0.113.9' })).toBe('127.0.0.1');
    expect(await addressSeen(new ClientAddresses(['10.0.0.0/8']), { 'x-forwarded-for': '203.0.113.9' })).toBe(
      '127.0.0.1',
    );
  });
});
