import Redis from 'ioredis';
import { RedisServer } from '@chatgraph/testing';
import { PRESENCE_OF, users, type PresenceOfData } from './support/operations';
import { randomUserId } from './support/randomUserId';
import { startTestPresence, type TestPresence } from './support/startTestPresence';

// A Redis of this test's own, so MONITOR sees this service's commands and nobody else's.
let redisServer: RedisServer;
let p: TestPresence;
let monitor: Redis;
let commands: Array<{ args: string[]; source: string }> = [];

beforeAll(async () => {
  redisServer = await RedisServer.start();
  p = await startTestPresence({ redisUrl: redisServer.url });
  monitor = await new Redis(redisServer.url, { lazyConnect: true }).monitor();
  monitor.on('error', () => undefined);
  // Commands a script runs are reported with source "lua"; only what clients send costs a round trip.
  monitor.on('monitor', (_time: string, args: string[], source: string) => {
    if (source !== 'lua') commands.push({ args, source });
  });
});
afterAll(async () => {
  monitor?.disconnect();
  await p?.close();
  await redisServer?.close();
});

/** Runs `fn` and returns the commands the service's Redis connection sent meanwhile. */
async function commandsDuring(fn: () => Promise<unknown>): Promise<string[][]> {
  commands = [];
  await fn();
  // MONITOR output is asynchronous: a marker sent afterwards arrives after everything before it.
  const marker = `marker-${Math.random()}`;
  const probe = new Redis(redisServer.url);
  await probe.echo(marker);
  probe.disconnect();
  while (!commands.some((c) => c.args[0] === 'echo' && c.args[1] === marker))
    await new Promise((r) => setTimeout(r, 10));
  const service = `127.0.0.1:${p.redis.stream.localPort}`;
  return commands.filter((c) => c.source === service).map((c) => c.args);
}

it('presence of 200 users (a member list) costs one Redis round trip, with every status right', async () => {
  const ids = Array.from({ length: 200 }, () => randomUserId());
  const expected = new Map<string, string>();
  for (const [i, id] of ids.entries()) {
    if (i % 4 === 3) {
      expected.set(id, 'OFFLINE'); // never seen
      continue;
    }
    const status = i % 4 === 0 ? 'ONLINE' : 'AWAY';
    await p.request('mutation($s: PresenceStatus) { heartbeat(status: $s) { status } }', { s: status }, id);
    expected.set(id, status);
  }
  const viewer = ids[0]!;
  const ask = () => p.request<PresenceOfData>(PRESENCE_OF, { representations: users(ids) }, viewer);
  await ask(); // the first call may also load the script into Redis's cache

  let res!: Awaited<ReturnType<typeof ask>>;
  const sent = await commandsDuring(async () => {
    res = await ask();
  });
  expect(res.errors).toBeUndefined();
  expect(res.data!._entities.map((e) => [e!.id, e!.presence.status])).toEqual(ids.map((id) => [id, expected.get(id)]));
  expect(res.data!._entities.filter((e) => e!.presence.lastSeenAt === null)).toHaveLength(50);
  expect(sent).toHaveLength(1);
  expect(sent[0]![0]!.toLowerCase()).toBe('evalsha');
  expect(sent[0]![2]).toBe('200'); // one call, all 200 keys
});

it('the same user asked for many times in one request is read once', async () => {
  const id = randomUserId();
  const sent = await commandsDuring(() => p.request(PRESENCE_OF, { representations: users([id, id, id, id]) }, id));
  expect(sent).toHaveLength(1);
  expect(sent[0]![2]).toBe('1');
});

it('after a Redis restart emptied the script cache, reads work again', async () => {
  const id = randomUserId();
  await redisServer.restart();
  // The monitor connection is gone with the old server; read the answer only.
  let res = await p.request<PresenceOfData>(PRESENCE_OF, { representations: users([id]) }, id);
  while (res.errors?.[0]?.extensions?.code === 'SERVICE_UNAVAILABLE') {
    await new Promise((r) => setTimeout(r, 50));
    res = await p.request<PresenceOfData>(PRESENCE_OF, { representations: users([id]) }, id);
  }
  expect(res.errors).toBeUndefined();
  expect(res.data!._entities[0]!.presence).toEqual({ status: 'OFFLINE', lastSeenAt: null });
});
