/**
 * Presence on a real Redis Cluster (3 masters, 3 replicas, started by the test): heartbeats and goOffline publish
 * each transition once on the user's channel (sharded pub/sub), a member list spread over every master is read in
 * one request, and users whose heartbeats stopped go OFFLINE once each, with two sweepers of two instances running.
 */
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { createLogger } from '@chatgraph/logging';
import { ChannelSubscriber, createRedis, redisLocation, type RedisClient } from '@chatgraph/pubsub';
import { RedisCluster, subgraphRequester, testConfig, waitUntil } from '@chatgraph/testing';
import { PresenceSweeper } from '../src/PresenceSweeper';
import { createPresenceServer, type PresenceServer } from '../src/server';
import { createPresenceRedis } from '../src/storage/createPresenceRedis';
import { PresenceStore } from '../src/storage/PresenceStore';
import type { PublishedEvent } from './support/ChannelRecorder';
import { GO_OFFLINE, HEARTBEAT, PRESENCE_OF, users, type PresenceOfData } from './support/operations';
import { randomUserId } from './support/randomUserId';

let cluster: RedisCluster;
let config: ReturnType<typeof testConfig>;
let subscriber: ChannelSubscriber;
const logger = createLogger('presence-cluster-test', 'silent');
const events = new Map<string, PublishedEvent[]>();
const connections: RedisClient[] = [];
const servers: PresenceServer[] = [];

async function connect(make: () => RedisClient): Promise<RedisClient> {
  const redis = make();
  connections.push(redis);
  if (redis.status !== 'ready') await once(redis, 'ready');
  return redis;
}

/** A presence server on the cluster with keys under a prefix of its own, and how to call it. */
async function presenceServer(ttlSeconds: number) {
  const env = testConfig({ REDIS_CLUSTER_NODES: cluster.seeds, PRESENCE_TTL_SECONDS: String(ttlSeconds) });
  const keyPrefix = `test:${randomBytes(6).toString('hex')}:presence:`;
  const server = createPresenceServer({
    config: env,
    redis: await connect(() => createPresenceRedis(redisLocation(env), logger)),
    logger,
    store: { keyPrefix, heartbeatLimit: 1000 },
    access: { visible: async (_viewer, ids) => ids.map(() => true) },
  });
  servers.push(server);
  return { server, keyPrefix, request: subgraphRequester(env, await server.listen(0)) };
}

let request: ReturnType<typeof subgraphRequester>;

beforeAll(async () => {
  cluster = await RedisCluster.start();
  config = testConfig({ REDIS_CLUSTER_NODES: cluster.seeds });
  // A TTL far longer than any test: only the sweeper test lets heartbeats lapse (with a server of its own).
  ({ request } = await presenceServer(60));
  const sub = await connect(() =>
    createRedis(redisLocation(config), {
      name: 'presence-watcher',
      offlineQueue: true,
      maxRetriesPerRequest: null,
      subscriber: true,
    }),
  );
  subscriber = new ChannelSubscriber(sub, logger);
  subscriber.onMessage((channel, message) => {
    const id = channel.slice('presence:'.length);
    events.set(id, [...(events.get(id) ?? []), JSON.parse(message) as PublishedEvent]);
  });
}, 60_000);

afterAll(async () => {
  subscriber?.close();
  for (const server of servers) await server.close();
  for (const redis of connections) redis.disconnect();
  await cluster?.close();
});

const statuses = (id: string) => (events.get(id) ?? []).map((e) => e.status);

async function presenceOf(ids: string[]): Promise<string[]> {
  const res = await request<PresenceOfData>(PRESENCE_OF, { representations: users(ids) }, randomUserId());
  expect(res.errors).toBeUndefined();
  return res.data!._entities.map((e) => e!.presence.status);
}

/** Users whose keys (and channels) are spread over every master. */
async function usersOnEveryMaster(count: number): Promise<string[]> {
  const ids = Array.from({ length: count }, () => randomUserId());
  const masters = new Set(await Promise.all(ids.map((id) => cluster.masterOf(`presence:${id}`))));
  expect(masters.size).toBe(3);
  return ids;
}

it('publishes each transition once, and reads users of every master in one request', async () => {
  const ids = await usersOnEveryMaster(24);
  await subscriber.subscribe(...ids.map((id) => `presence:${id}`));

  for (const [i, id] of ids.entries()) {
    const res = await request(HEARTBEAT, { status: i % 2 ? 'AWAY' : 'ONLINE' }, id);
    expect(res.errors).toBeUndefined();
  }
  await waitUntil('every ONLINE/AWAY arrived', () => ids.every((id) => statuses(id).length === 1));
  expect(await presenceOf(ids)).toEqual(ids.map((_, i) => (i % 2 ? 'AWAY' : 'ONLINE')));

  // again: no change, no event; then off
  for (const [i, id] of ids.entries()) await request(HEARTBEAT, { status: i % 2 ? 'AWAY' : 'ONLINE' }, id);
  for (const id of ids) expect((await request(GO_OFFLINE, {}, id)).errors).toBeUndefined();
  await waitUntil('every OFFLINE arrived', () => ids.every((id) => statuses(id).length === 2));
  for (const [i, id] of ids.entries()) expect(statuses(id)).toEqual([i % 2 ? 'AWAY' : 'ONLINE', 'OFFLINE']);
  expect(await presenceOf(ids)).toEqual(ids.map(() => 'OFFLINE'));
  await subscriber.unsubscribe(...ids.map((id) => `presence:${id}`));
});

it('users whose heartbeats stopped go OFFLINE once each, when their TTL ran out, with two sweepers', async () => {
  const ids = await usersOnEveryMaster(30);
  await subscriber.subscribe(...ids.map((id) => `presence:${id}`));
  // A TTL of 1 s, so heartbeats lapse within the test; a second instance's store over the same keys.
  const { server, keyPrefix, request } = await presenceServer(1);
  const other = new PresenceStore({
    redis: await connect(() => createPresenceRedis(redisLocation(config), logger)),
    ttlMs: 1000,
    keyPrefix,
  });
  const sweepers = [server.store, other].map(
    (store) => new PresenceSweeper({ store, intervalMs: 20, logger, batchSize: 7 }),
  );

  const lastSeen = new Map<string, string>();
  for (const id of ids) {
    const res = await request<{ heartbeat: { lastSeenAt: string } }>(HEARTBEAT, {}, id);
    lastSeen.set(id, res.data!.heartbeat.lastSeenAt);
  }
  for (const sweeper of sweepers) sweeper.start();
  await waitUntil('every user was announced OFFLINE', () => ids.every((id) => statuses(id).at(-1) === 'OFFLINE'));
  await Promise.all(sweepers.map((s) => s.stop()));
  // Barrier: one more transition per user; a duplicate OFFLINE on a channel would have arrived before it.
  for (const id of ids) await request(HEARTBEAT, {}, id);
  await waitUntil('every user is ONLINE again', () => ids.every((id) => statuses(id).at(-1) === 'ONLINE'));

  for (const id of ids) {
    expect(statuses(id)).toEqual(['ONLINE', 'OFFLINE', 'ONLINE']);
    const offline = events.get(id)![1]!;
    expect(offline.lastSeenAt).toBe(lastSeen.get(id));
    expect(Date.parse(offline.at) - Date.parse(lastSeen.get(id)!)).toBe(1000);
  }
  expect(sweepers[0]!.published + sweepers[1]!.published).toBe(ids.length);
});

it('answers SERVICE_UNAVAILABLE while the master of a user fails over, then works on the promoted replica', async () => {
  const id = randomUserId();
  await subscriber.subscribe(`presence:${id}`);
  expect((await request(HEARTBEAT, { status: 'AWAY' }, id)).errors).toBeUndefined();
  await waitUntil('AWAY arrived', () => statuses(id).length === 1);

  const failover = cluster.failover(await cluster.masterOf(`presence:${id}`));
  let done = false;
  void failover.finally(() => (done = true));
  const codes = new Set<string>();
  // During the failover a heartbeat either works or answers SERVICE_UNAVAILABLE (retry), never anything else.
  while (!done) {
    const res = await request(HEARTBEAT, { status: 'AWAY' }, id);
    for (const error of res.errors ?? []) codes.add(String(error.extensions?.code));
  }
  await failover;
  expect([...codes].filter((code) => code !== 'SERVICE_UNAVAILABLE')).toEqual([]);
  await waitUntil('a heartbeat works on the promoted master', async () => {
    const res = await request(HEARTBEAT, { status: 'ONLINE' }, id);
    return res.errors === undefined;
  });
  await waitUntil('ONLINE arrived', () => statuses(id).at(-1) === 'ONLINE');
  // Redis replicates asynchronously: writes the dead master acknowledged just before it died may be missing on the
  // replica, so the same status can be announced again; watchers never see a wrong one.
  expect(statuses(id).filter((s, i, all) => s !== all[i - 1])).toEqual(['AWAY', 'ONLINE']);
  expect(await presenceOf([id])).toEqual(['ONLINE']);
}, 60_000);
