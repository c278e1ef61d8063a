import { isIPv4 } from 'node:net';

/**
 * Whether a listen address is reachable from this machine only: `localhost`, `::1` or an address of 127.0.0.0/8.
 * Anything else (`0.0.0.0`, `::`, a LAN address, a host name) may be reachable from other machines.
 */
export function isLoopbackHost(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  return isIPv4(h) && h.startsWith('127.');
}
