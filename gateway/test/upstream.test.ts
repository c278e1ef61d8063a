/**
 * The gateway's way to a subgraph, against real HTTP servers on free ports: balancing strategies, a breaker per
 * replica that ejects and re-admits it, retries of queries only, time limits and the bulkhead.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { freePort, waitUntil } from '@chatgraph/testing';
import { createSubgraphDispatcher } from '../src/auth/SubgraphDataSource';
import { SubgraphUpstream, UpstreamUnavailable, type UpstreamRequest } from '../src/upstream/SubgraphUpstream';
import type { BalancingStrategy } from '../src/upstream/ReplicaSet';

interface Replica {
  url: string;
  hits: number;
  /** What it does with a request: answer (default), answer 503, or never answer. */
  mode: 'ok' | '503' | 'hang';
  server: http.Server;
}

const servers: http.Server[] = [];
const dispatcher = createSubgraphDispatcher(2000);

async function replica(): Promise<Replica> {
  const r: Partial<Replica> = { hits: 0, mode: 'ok' };
  const server = http.createServer((req, res) => {
    r.hits!++;
    req.resume();
    req.on('end', () => {
      if (r.mode === 'hang') return;
      if (r.mode === '503') return res.writeHead(503).end('{"errors":[{"message":"draining"}]}');
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data: { at: r.url } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  r.server = server;
  r.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  return r as Replica;
}

const deadUrl = async () => `http://127.0.0.1:${await freePort()}/graphql`;

function upstream(
  urls: string[],
  strategy: BalancingStrategy = 'round-robin',
  extra: Partial<{
    timeoutMs: number;
    maxConcurrent: number;
    maxQueued: number;
    failures: number;
    halfOpenAfterMs: number;
  }> = {},
) {
  return new SubgraphUpstream({
    name: 'test',
    urls,
    strategy,
    breaker: { failures: extra.failures ?? 3, halfOpenAfterMs: extra.halfOpenAfterMs ?? 200 },
    timeoutMs: extra.timeoutMs ?? 2000,
    maxConcurrent: extra.maxConcurrent ?? 64,
    maxQueued: extra.maxQueued ?? 64,
    dispatcher,
  });
}

const query = (key: string | null = null): UpstreamRequest => ({
  body: '{"query":"{ at }"}',
  headers: { 'content-type': 'application/json' },
  idempotent: true,
  key,
});
const mutation = (): UpstreamRequest => ({ ...query(), idempotent: false });
const at = async (u: SubgraphUpstream, r: UpstreamRequest) =>
  (JSON.parse((await u.send(r)).text) as { data: { at: string } }).data.at;

afterAll(async () => {
  await dispatcher.destroy();
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
});

describe('subgraph upstream', () => {
  it('round-robin spreads requests over the replicas in turn', async () => {
    const [a, b] = [await replica(), await replica()];
    const u = upstream([a.url, b.url]);
    for (let i = 0; i < 6; i++) await u.send(query());
    expect([a.hits, b.hits]).toEqual([3, 3]);
  });

  it('consistent-hash keeps a user on one replica, and an ejected replica moves only its own users', async () => {
    const rs = [await replica(), await replica(), await replica()];
    const u = upstream(
      rs.map((r) => r.url),
      'consistent-hash',
      { failures: 1, halfOpenAfterMs: 60_000 },
    );
    const users = Array.from({ length: 30 }, (_, i) => `user-${i}`);
    const before = new Map<string, string>();
    for (const user of users) before.set(user, await at(u, query(user)));
    for (const user of users) expect(await at(u, query(user))).toBe(before.get(user));
    // Replica 0 starts refusing: its users move (their queries are retried elsewhere), everyone else stays put.
    const victim = rs[0]!;
    await new Promise((r) => victim.server.close(r));
    victim.server.closeAllConnections();
    for (const user of users) {
      const now = await at(u, query(user));
      if (before.get(user) !== victim.url) expect(now).toBe(before.get(user));
      else expect(now).not.toBe(victim.url);
    }
    expect(u.replicas.states()[victim.url]).toBe('open');
  });

  it('retries a query on another replica when one is unreachable, and ejects it after consecutive failures', async () => {
    const good = await replica();
    const dead = await deadUrl();
    const u = upstream([dead, good.url], 'round-robin', { failures: 3, halfOpenAfterMs: 60_000 });
    for (let i = 0; i < 10; i++) expect(await at(u, query())).toBe(good.url);
    expect(u.replicas.states()[dead]).toBe('open');
  });

  it('never sends a mutation twice: a mutation whose replica is unreachable fails', async () => {
    const good = await replica();
    const dead = await deadUrl();
    const u = upstream([dead, good.url], 'round-robin', { failures: 100 });
    const outcomes = await Promise.allSettled([u.send(mutation()), u.send(mutation())]);
    expect(outcomes.map((o) => o.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(good.hits).toBe(1);
    const failure = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
    expect(failure.reason).toBeInstanceOf(UpstreamUnavailable);
  });

  it('retries a query answered 503 on another replica', async () => {
    const [draining, good] = [await replica(), await replica()];
    draining.mode = '503';
    const u = upstream([draining.url, good.url], 'round-robin', { failures: 100 });
    for (let i = 0; i < 4; i++) expect(await at(u, query())).toBe(good.url);
    expect(draining.hits).toBeGreaterThan(0);
  });

  it('re-admits an ejected replica after a successful probe (half-open)', async () => {
    const good = await replica();
    const port = await freePort();
    const flaky = `http://127.0.0.1:${port}/graphql`;
    const u = upstream([flaky, good.url], 'round-robin', { failures: 2, halfOpenAfterMs: 100 });
    for (let i = 0; i < 6; i++) await u.send(query());
    expect(u.replicas.states()[flaky]).toBe('open');
    // The replica comes back on its port.
    const back = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(200).end(JSON.stringify({ data: { at: flaky } })));
    });
    await new Promise<void>((resolve) => back.listen(port, '127.0.0.1', resolve));
    servers.push(back);
    await waitUntil('the replica serves again', async () => (await at(u, query())) === flaky, 5000);
    expect(u.replicas.states()[flaky]).toBe('closed');
  });

  it('gives up on a replica that does not answer in time, without retrying the query elsewhere', async () => {
    const [slow, good] = [await replica(), await replica()];
    slow.mode = 'hang';
    const u = upstream([slow.url, good.url], 'round-robin', { timeoutMs: 200, failures: 100 });
    await expect(u.send(query())).rejects.toThrow(/no answer within 200 ms/);
    expect(good.hits).toBe(0);
  });

  it('fails fast when every replica is ejected', async () => {
    const u = upstream([await deadUrl()], 'round-robin', { failures: 1, halfOpenAfterMs: 60_000 });
    await expect(u.send(query())).rejects.toBeInstanceOf(UpstreamUnavailable);
    await expect(u.send(query())).rejects.toThrow(/ejected/);
  });

  it('bounds requests in flight (bulkhead): beyond the queue a request fails at once', async () => {
    const slow = await replica();
    slow.mode = 'hang';
    const u = upstream([slow.url], 'round-robin', { timeoutMs: 500, maxConcurrent: 1, maxQueued: 0, failures: 100 });
    const first = u.send(query());
    await expect(u.send(query())).rejects.toThrow(/bulkhead full/);
    await expect(first).rejects.toBeInstanceOf(UpstreamUnavailable);
  });
});
