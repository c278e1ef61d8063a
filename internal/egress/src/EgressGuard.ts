import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import ipaddr from 'ipaddr.js';

/** Which targets outgoing requests (webhooks, Web Push) may reach. */
export interface EgressPolicy {
  /** Loopback addresses (127.0.0.0/8, ::1): development and tests run their receivers there. */
  allowLoopback: boolean;
  /** Private, link-local, unique-local and carrier-grade NAT addresses (an operator's own network). */
  allowPrivate: boolean;
  /** Only https URLs. */
  requireHttps: boolean;
}

/** An outgoing request refused because of where it would go. */
export class EgressRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EgressRefused';
  }
}

/** ipaddr.js ranges an operator may open with `allowPrivate` (everything but plain unicast is refused otherwise). */
const PRIVATE_RANGES = new Set(['private', 'linkLocal', 'uniqueLocal', 'carrierGradeNat']);

type LookupAddress = { address: string; family: number };
type Resolver = (hostname: string) => Promise<LookupAddress[]>;

const systemResolver: Resolver = (hostname) => dns.promises.lookup(hostname, { all: true, verbatim: true });

/**
 * The one guard against server-side request forgery for every request chatgraph makes to a URL a user gave (webhook
 * endpoints, Web Push endpoints): a target must be a public unicast address unless the policy opens loopback or
 * private ranges. Checked twice: when the URL is registered ({@link problemWith}, after DNS resolution) and when a
 * connection is made, through the agents' `lookup` ({@link agent}): the address checked is the address connected to,
 * so a name that resolves to a public address at registration and to 127.0.0.1 later (DNS rebinding) is still
 * refused.
 */
export class EgressGuard {
  private readonly agents = new Map<'http:' | 'https:', http.Agent>();

  constructor(
    readonly policy: EgressPolicy,
    private readonly resolve: Resolver = systemResolver,
  ) {}

  /** True when a connection to `address` (an IP literal) is allowed. */
  allowsAddress(address: string): boolean {
    if (!ipaddr.isValid(address)) return false;
    const range = ipaddr.process(address).range();
    if (range === 'unicast') return true;
    if (range === 'loopback') return this.policy.allowLoopback || this.policy.allowPrivate;
    return this.policy.allowPrivate && PRIVATE_RANGES.has(range);
  }

  /**
   * Why `value` cannot be a target (a sentence for the client), or null when it can: a http(s) URL (https only when
   * the policy says so) without credentials, whose host is, or resolves only to, allowed addresses.
   */
  async problemWith(value: string): Promise<string | null> {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      return 'is not a URL';
    }
    if (url.protocol !== 'https:' && (this.policy.requireHttps || url.protocol !== 'http:'))
      return this.policy.requireHttps ? 'must be an https URL' : 'must be an http or https URL';
    if (url.username || url.password) return 'must not carry credentials';
    const host = hostOf(url);
    if (isIP(host)) return this.allowsAddress(host) ? null : 'points to an address that may not be called';
    let addresses: LookupAddress[];
    try {
      addresses = await this.resolve(host);
    } catch {
      return `names a host that does not resolve (${host})`;
    }
    if (addresses.length === 0) return `names a host that does not resolve (${host})`;
    if (!addresses.every((a) => this.allowsAddress(a.address)))
      return 'names a host that resolves to an address that may not be called';
    return null;
  }

  /** Throws {@link EgressRefused} for a URL no request may be sent to (literal addresses are checked here). */
  assertUrl(url: URL): void {
    if (url.protocol !== 'https:' && (this.policy.requireHttps || url.protocol !== 'http:'))
      throw new EgressRefused(`refused: ${url.protocol} target`);
    const host = hostOf(url);
    // Node connects to an IP literal without calling `lookup`: checked here instead.
    if (isIP(host) && !this.allowsAddress(host)) throw new EgressRefused(`refused: ${host} may not be called`);
  }

  /**
   * A `lookup` for sockets: resolves like `dns.lookup`, keeps only allowed addresses, and fails the connection with
   * {@link EgressRefused} when none is left.
   */
  readonly lookup: LookupFunction = (hostname, options, callback) => {
    this.resolve(hostname).then(
      (all) => {
        const allowed = all.filter((a) => this.allowsAddress(a.address));
        if (allowed.length === 0) {
          callback(new EgressRefused(`refused: ${hostname} resolves to no address that may be called`), '', 4);
          return;
        }
        const wanted =
          options.family === 4 || options.family === 6 ? allowed.filter((a) => a.family === options.family) : allowed;
        const list = wanted.length > 0 ? wanted : allowed;
        if (options.all) callback(null, list);
        else callback(null, list[0]!.address, list[0]!.family);
      },
      (err: NodeJS.ErrnoException) => callback(err, '', 4),
    );
  };

  /** A keep-alive agent for `protocol` whose every connection goes through {@link lookup} (one per guard). */
  agent(protocol: 'http:' | 'https:'): http.Agent {
    let agent = this.agents.get(protocol);
    if (!agent) {
      // As many idle connections kept per host as may be busy: a worker sends a prefetch window (up to 256) of
      // deliveries at once, and with fewer kept, every window after the first connected most of them again (655 new
      // connections for 1,000 deliveries to one endpoint in the bench). Idle ones close after 30 s, or before the
      // endpoint's own keep-alive timeout when it announces one.
      const options = {
        keepAlive: true,
        maxSockets: 256,
        maxFreeSockets: 256,
        timeout: IDLE_CONNECTION_MS,
        scheduling: 'lifo' as const,
        lookup: this.lookup,
      };
      agent = protocol === 'https:' ? new ReusingHttpsAgent(options) : new ReusingHttpAgent(options);
      this.agents.set(protocol, agent);
    }
    return agent;
  }

  /** Closes the agents' sockets. */
  destroy(): void {
    for (const agent of this.agents.values()) agent.destroy();
    this.agents.clear();
  }
}

/** How long a kept-alive connection may stay idle before the agent closes it (the agents' `timeout`). */
export const IDLE_CONNECTION_MS = 30_000;

// A socket handed to a new request keeps the timeout it had while idle, which the endpoint's keep-alive hint may have
// shortened (to a few seconds), and Node applies a request's own `timeout` only when it differs from the agent's: a
// request asking for exactly the agent's timeout would get the shortened one. Reset to the agent's on every reuse.
class ReusingHttpAgent extends http.Agent {
  override reuseSocket(socket: Duplex, request: http.ClientRequest): void {
    (socket as Socket).setTimeout(IDLE_CONNECTION_MS);
    super.reuseSocket(socket, request);
  }
}

class ReusingHttpsAgent extends https.Agent {
  override reuseSocket(socket: Duplex, request: http.ClientRequest): void {
    (socket as Socket).setTimeout(IDLE_CONNECTION_MS);
    super.reuseSocket(socket, request);
  }
}

/** The host of a URL without IPv6 brackets. */
function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}
