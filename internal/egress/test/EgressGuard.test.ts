/**
 * The SSRF guard: in production a target must be a public address, when the URL is registered (after DNS resolution)
 * and again when a connection is made (the address connected to is the one checked, so a name that resolves to a
 * public address at registration and to loopback later, DNS rebinding, is still refused). Development allows loopback.
 * Nothing here connects anywhere but 127.0.0.1.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { EgressGuard, EgressRefused, IDLE_CONNECTION_MS, egressPolicyFromConfig } from '../src';

const PUBLIC = '93.184.216.34';
const production = egressPolicyFromConfig({ NODE_ENV: 'production', WEBHOOK_ALLOW_PRIVATE_TARGETS: false });
const development = egressPolicyFromConfig({ NODE_ENV: 'development', WEBHOOK_ALLOW_PRIVATE_TARGETS: false });

/** A resolver that answers each name with the next address of its list (the last one from then on). */
function scripted(answers: Record<string, string[]>) {
  const calls: string[] = [];
  const resolve = async (hostname: string) => {
    calls.push(hostname);
    const list = answers[hostname];
    if (!list) throw Object.assign(new Error(`ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    const address = list.length > 1 ? list.shift()! : list[0]!;
    return [{ address, family: address.includes(':') ? 6 : 4 }];
  };
  return { resolve, calls };
}

/** GET through the guard's agent; resolves with the status or rejects with the connection's error. */
function get(guard: EgressGuard, url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    guard.assertUrl(target);
    http
      .get(target, { agent: guard.agent('http:') }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
      .on('error', reject);
  });
}

describe('EgressGuard', () => {
  let server: http.Server;
  let port: number;
  let hits = 0;

  beforeAll(async () => {
    server = http.createServer((_req, res) => {
      hits++;
      res.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('refuses loopback, private, link-local and unspecified addresses in production, and plain http', async () => {
    const guard = new EgressGuard(production, scripted({}).resolve);
    for (const url of [
      'https://127.0.0.1/hook',
      'https://[::1]/hook',
      'https://10.1.2.3/hook',
      'https://192.168.0.10/hook',
      'https://169.254.169.254/latest/meta-data',
      'https://[fe80::1]/hook',
      'https://[fd00::1]/hook',
      'https://0.0.0.0/hook',
      'https://[::ffff:127.0.0.1]/hook',
    ])
      expect({ url, problem: await guard.problemWith(url) }).toEqual({
        url,
        problem: 'points to an address that may not be called',
      });
    expect(await guard.problemWith(`https://${PUBLIC}/hook`)).toBeNull();
    expect(await guard.problemWith(`http://${PUBLIC}/hook`)).toBe('must be an https URL');
    expect(await guard.problemWith('https://user:pw@example.com/')).toBe('must not carry credentials');
    expect(() => guard.assertUrl(new URL(`http://127.0.0.1:${port}/`))).toThrow(EgressRefused);
  });

  it('resolves names when a URL is registered and refuses those resolving to a forbidden address', async () => {
    const { resolve } = scripted({
      'public.test': [PUBLIC],
      'internal.test': ['10.0.0.7'],
      'local.test': ['127.0.0.1'],
    });
    const guard = new EgressGuard(production, resolve);
    expect(await guard.problemWith('https://public.test/hook')).toBeNull();
    expect(await guard.problemWith('https://internal.test/hook')).toMatch(/resolves to an address/);
    expect(await guard.problemWith('https://local.test/hook')).toMatch(/resolves to an address/);
    expect(await guard.problemWith('https://nowhere.test/hook')).toMatch(/does not resolve/);
  });

  it('checks the address it connects to: a DNS rebinding to loopback after registration is refused', async () => {
    const { resolve, calls } = scripted({ 'rebind.test': [PUBLIC, '127.0.0.1'] });
    const guard = new EgressGuard({ ...production, requireHttps: false }, resolve);
    expect(await guard.problemWith(`http://rebind.test:${port}/`)).toBeNull();
    const before = hits;
    await expect(get(guard, `http://rebind.test:${port}/`)).rejects.toBeInstanceOf(EgressRefused);
    expect(calls).toEqual(['rebind.test', 'rebind.test']);
    expect(hits).toBe(before);
    guard.destroy();
  });

  it('allows loopback in development, where receivers run on the same machine', async () => {
    const guard = new EgressGuard(development, scripted({ 'receiver.test': ['127.0.0.1'] }).resolve);
    expect(await guard.problemWith(`http://127.0.0.1:${port}/`)).toBeNull();
    expect(await guard.problemWith('http://10.0.0.1/')).toBe('points to an address that may not be called');
    const before = hits;
    expect(await get(guard, `http://receiver.test:${port}/`)).toBe(200);
    expect(hits).toBe(before + 1);
    guard.destroy();
  });

  it('keeps connections alive; a reused one times out as its request asks, not as the idle endpoint hinted', async () => {
    const guard = new EgressGuard(development, scripted({}).resolve);
    const agent = guard.agent('http:');
    // Node's server announces `Keep-Alive: timeout=5`: the idle connection is closed a second before, after 4 s.
    const send = () =>
      new Promise<{ reused: boolean; timeout: number | undefined; idle: Promise<number | undefined> }>(
        (resolve, reject) => {
          const req = http.get(`http://127.0.0.1:${port}/`, { agent, timeout: IDLE_CONNECTION_MS }, (res) => {
            const timeout = req.socket?.timeout;
            const socket = req.socket!;
            const idle = new Promise<number | undefined>((r) =>
              socket.once('free', () => setImmediate(() => r(socket.timeout))),
            );
            res.resume();
            resolve({ reused: req.reusedSocket, timeout, idle });
          });
          req.on('error', reject);
        },
      );
    const first = await send();
    expect(first.reused).toBe(false);
    expect(await first.idle).toBe(4000);
    const second = await send();
    expect(second.reused).toBe(true);
    // The request's own 30 s, although equal to the agent's and so not applied by Node itself.
    expect(second.timeout).toBe(IDLE_CONNECTION_MS);
    await second.idle;
    guard.destroy();
  });

  it('opens private ranges only when the operator says so', async () => {
    const open = egressPolicyFromConfig({ NODE_ENV: 'production', WEBHOOK_ALLOW_PRIVATE_TARGETS: true });
    const guard = new EgressGuard(open, scripted({}).resolve);
    expect(await guard.problemWith('http://10.0.0.1/hook')).toBeNull();
    expect(await guard.problemWith('http://127.0.0.1/hook')).toBeNull();
    expect(await guard.problemWith('http://0.0.0.0/hook')).toBe('points to an address that may not be called');
  });
});
