import type { IncomingMessage } from 'node:http';
import { isIPv4 } from 'node:net';
import proxyaddr from 'proxy-addr';

/**
 * Where a client connects from. Directly, that is the socket's peer. Behind HAProxy the peer is the proxy, which
 * appends the client's address to `X-Forwarded-For`; that header is believed only when the peer is a trusted proxy
 * (`TRUSTED_PROXIES`), and only its entries added by trusted proxies: walking from the nearest hop, the first address
 * that is not a trusted proxy is the client (proxy-addr, as Express does it). A client cannot pick its own address by
 * sending the header itself.
 */
export class ClientAddresses {
  private readonly trust: (address: string, hop: number) => boolean;

  /** @param trusted addresses, CIDRs or proxy-addr range names (`loopback`); empty: no proxy is trusted. */
  constructor(trusted: readonly string[]) {
    this.trust = trusted.length ? proxyaddr.compile([...trusted]) : () => false;
  }

  /** The client's address for a request (IPv4-mapped IPv6 written as IPv4), or undefined when the socket is gone. */
  of(req: IncomingMessage): string | undefined {
    if (req.socket.remoteAddress === undefined) return undefined;
    return normalize(proxyaddr(req, this.trust));
  }
}

/** `::ffff:203.0.113.9` and `203.0.113.9` are the same client: one key for its limits. */
function normalize(address: string): string {
  const mapped = /^::ffff:(.+)$/i.exec(address);
  return mapped && isIPv4(mapped[1]!) ? mapped[1]! : address;
}
