/**
 * The chats service on a real Redis Cluster (started by the test): a committed message is published on the chat's
 * channel (sharded pub/sub) and announced on the wake-up channel of the chat's shard, which the notifier's relay of
 * that shard listens to (a cluster has no `chat:*` pattern).
 */
import { createLogger } from '@chatgraph/logging';
import { RedisEventBus, relayWakeupChannel } from '@chatgraph/pubsub';
import { RedisCluster, waitUntil } from '@chatgraph/testing';
import { createGroup, ok, send, startChats, type ChatsHarness } from './harness';

let cluster: RedisCluster;
let h: ChatsHarness;
let listener: RedisEventBus;

beforeAll(async () => {
  cluster = await RedisCluster.start();
  h = await startChats({ env: { REDIS_CLUSTER_NODES: cluster.seeds } });
  listener = new RedisEventBus({
    url: h.config.REDIS_URL,
    clusterNodes: cluster.seeds,
    logger: createLogger('chats-cluster-test', 'silent'),
  });
}, 120_000);
afterAll(async () => {
  await listener?.close();
  await h?.close();
  await cluster?.close();
});

it('publishes a committed message on the chat channel and wakes the relay of its shard', async () => {
  expect(h.bus.channels.sharded).toBe(true);
  const chatId = await createGroup(h, '1', ['2']);
  const shard = h.dbs.chats.shardFor(BigInt(chatId)).database;
  const received: Array<[string, unknown]> = [];
  listener.channels.onMessage((channel, message) => received.push([channel, JSON.parse(message)]));
  await listener.channels.subscribe(`chat:${chatId}`, relayWakeupChannel(shard));

  const { sendMessage } = ok(await send(h, '2', chatId, 'over the cluster'));
  await waitUntil('the event and the wake-up arrived', () => received.length >= 2);
  const event = received.find(([channel]) => channel === `chat:${chatId}`)?.[1] as { seq: number } | undefined;
  expect(event?.seq).toBe(sendMessage.seq);
  expect(received.map(([channel]) => channel).sort()).toEqual([`chat:${chatId}`, relayWakeupChannel(shard)].sort());
});
