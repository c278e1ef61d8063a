/**
 * The Redis factory and the event bus on a real Redis Cluster (3 masters, 3 replicas, started by the test): commands
 * reach the master of their slot, live channels spread over every master are delivered from one bus to another in
 * order, and after a master fails (killed) or hands over to its replica (`CLUSTER FAILOVER`), the subscriber
 * subscribes on the new master, its resubscribed listeners run, and what is published from then on arrives.
 */
import { createLogger } from '@chatgraph/logging';
import { RedisCluster, waitUntil } from '@chatgraph/testing';
import { createRedis, isCluster, RedisEventBus, type RedisClient, type RedisLocation } from '../src';

const logger = createLogger('redis-cluster-test', 'silent');

let cluster: RedisCluster;
let location: RedisLocation;
const closers: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  cluster = await RedisCluster.start();
  location = { url: 'redis://127.0.0.1:1', clusterNodes: cluster.seeds };
}, 60_000);

afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

afterAll(async () => {
  await cluster?.close();
});

function bus(): RedisEventBus {
  const b = new RedisEventBus({ ...location, logger, publishTimeoutMs: 2000 });
  closers.push(() => b.close());
  return b;
}

/** One channel served by each master (found by asking the cluster where each candidate lives). */
async function channelPerMaster(prefix: string): Promise<string[]> {
  const masters = await cluster.masters();
  const found = new Map<number, string>();
  for (let i = 0; found.size < masters.length; i++) {
    const channel = `${prefix}:${i}`;
    const master = await cluster.masterOf(channel);
    if (!found.has(master)) found.set(master, channel);
  }
  return [...found.values()];
}

/** Records what a bus's subscriber receives, by channel. */
function record(b: RedisEventBus): Map<string, unknown[]> {
  const received = new Map<string, unknown[]>();
  b.channels.onMessage((channel, message) => {
    received.set(channel, [...(received.get(channel) ?? []), JSON.parse(message)]);
  });
  return received;
}

it('makes a cluster client from REDIS_CLUSTER_NODES, and a single one without it', async () => {
  const single = createRedis({ url: 'redis://127.0.0.1:1' }, { name: 'single', offlineQueue: false });
  single.on('error', () => undefined);
  closers.push(async () => single.disconnect());
  expect(isCluster(single)).toBe(false);

  const client: RedisClient = createRedis(location, { name: 'factory-test', offlineQueue: true });
  closers.push(() => client.quit());
  expect(isCluster(client)).toBe(true);
  // keys on every master, and a transaction over keys that share a hash tag
  const keys = Array.from({ length: 30 }, (_, i) => `factory:${i}`);
  await Promise.all(keys.map((key, i) => client.set(key, String(i))));
  expect(await Promise.all(keys.map((key) => client.get(key)))).toEqual(keys.map((_, i) => String(i)));
  const results = await client.multi().incr('{factory}:a').incr('{factory}:b').exec();
  expect(results).toEqual([
    [null, 1],
    [null, 1],
  ]);
});

it('delivers what one bus publishes to another bus subscribed to channels on every master, in order', async () => {
  const channels = await channelPerMaster('live');
  expect(new Set(await Promise.all(channels.map((c) => cluster.masterOf(c)))).size).toBe(3);
  const publisher = bus();
  const subscriber = bus();
  const received = record(subscriber);
  await subscriber.channels.subscribe(...channels);

  for (let n = 0; n < 20; n++)
    for (const channel of channels) expect(await publisher.publish(channel, { n })).toBe(true);
  await waitUntil('every message arrived', () => channels.every((c) => received.get(c)?.length === 20));
  for (const channel of channels) expect(received.get(channel)).toEqual(Array.from({ length: 20 }, (_, n) => ({ n })));

  // unsubscribed: nothing more arrives on that channel, the others go on
  await subscriber.channels.unsubscribe(channels[0]!);
  for (const channel of channels) await publisher.publish(channel, { n: 20 });
  await waitUntil('the subscribed channels got the last message', () =>
    channels.slice(1).every((c) => received.get(c)?.length === 21),
  );
  expect(received.get(channels[0]!)).toHaveLength(20);
});

it('after a replica takes over from its master (CLUSTER FAILOVER), subscribes there and delivers from then on', async () => {
  const channels = await channelPerMaster('handover');
  const publisher = bus();
  const subscriber = bus();
  const received = record(subscriber);
  let resubscribed = 0;
  subscriber.channels.onResubscribed(() => resubscribed++);
  await subscriber.channels.subscribe(...channels);

  const victim = channels[1]!;
  const old = await cluster.masterOf(victim);
  const promoted = await cluster.failover(old, 'handover');
  expect(await cluster.masterOf(victim)).toBe(promoted);
  // The old master, now a replica, dropped its shard channel subscriptions; the subscriber finds the new master.
  await waitUntil('the subscriber confirmed its channels again', () => resubscribed > 0, 30_000);
  await waitUntil('a publish reaches the new master', async () => publisher.publish(victim, { n: 0 }), 30_000);
  for (let n = 1; n <= 5; n++)
    for (const channel of channels) expect(await publisher.publish(channel, { n })).toBe(true);
  await waitUntil('the messages arrived', () =>
    channels.every((c) => (received.get(c)?.at(-1) as { n: number } | undefined)?.n === 5),
  );
  for (const channel of channels)
    expect(
      received
        .get(channel)!
        .map((m) => (m as { n: number }).n)
        .filter((n) => n >= 1),
    ).toEqual([1, 2, 3, 4, 5]);
}, 90_000);

it('after a master fails, subscribes again on the promoted replica and delivers what is published from then on', async () => {
  const channels = await channelPerMaster('failover');
  const publisher = bus();
  const subscriber = bus();
  const received = record(subscriber);
  let resubscribed = 0;
  subscriber.channels.onResubscribed(() => resubscribed++);
  await subscriber.channels.subscribe(...channels);
  for (const channel of channels) expect(await publisher.publish(channel, { n: 0 })).toBe(true);
  await waitUntil('the first messages arrived', () => channels.every((c) => received.get(c)?.length === 1));

  const victim = channels[0]!;
  const dead = await cluster.masterOf(victim);
  const promoted = await cluster.failover(dead);
  expect(await cluster.masterOf(victim)).toBe(promoted);
  await waitUntil('the subscriber confirmed its channels again', () => resubscribed > 0, 30_000);

  // The publisher finds the new master (a publish during the failover may fail: pub/sub is at most once and the
  // event log is the truth); once one gets through, every later one arrives, in order.
  await waitUntil('a publish reaches the promoted master', async () => publisher.publish(victim, { n: 1 }), 30_000);
  for (let n = 2; n <= 10; n++)
    for (const channel of channels) expect(await publisher.publish(channel, { n })).toBe(true);
  await waitUntil('the messages after the failover arrived', () =>
    channels.every((c) => (received.get(c)?.at(-1) as { n: number } | undefined)?.n === 10),
  );
  for (const channel of channels) {
    const ns = received.get(channel)!.map((m) => (m as { n: number }).n);
    expect(ns.filter((n) => n >= 2)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(new Set(ns).size).toBe(ns.length); // nothing twice
  }
}, 90_000);
