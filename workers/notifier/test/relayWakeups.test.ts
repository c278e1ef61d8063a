/**
 * Which relays a committed event wakes on a single Redis (pattern `chat:*`): only the relay of the chats shard that
 * holds the chat, read from the chat id's shard bits; a channel whose id cannot be read wakes every relay.
 */
import Redis from 'ioredis';
import { shardMapFor } from '@chatgraph/db';
import { composeId, LOGICAL_SHARDS } from '@chatgraph/ids';
import { createLogger } from '@chatgraph/logging';
import { ChannelSubscriber } from '@chatgraph/pubsub';
import { RedisServer, testConfig, waitUntil } from '@chatgraph/testing';
import { RelayWakeups } from '../src/relay/RelayWakeups';

describe('RelayWakeups', () => {
  const config = testConfig();
  const logger = createLogger('relay-wakeups-test', config);

  it("wakes only the relay of the announced chat's shard; a channel it cannot read wakes every relay", async () => {
    const map = shardMapFor(testConfig({ CHATS_SHARDS: '4' }), 'chats');
    const nudges = new Map<string, number>();
    const relaysOf = map.shards.map((shard) => ({
      shard: shard.database,
      nudge: () => nudges.set(shard.database, (nudges.get(shard.database) ?? 0) + 1),
    }));
    // A chat on the fourth shard (its logical shard is in the id's shard bits).
    const chatId = composeId({ timeMs: Date.now(), logicalShard: LOGICAL_SHARDS - 1, sequence: 7 });
    const fourth = map.shardFor(chatId).database;
    expect(fourth).toBe(map.shards[3]!.database);
    // A Redis of its own: pub/sub ignores database numbers, and tests running alongside publish on `chat:<id>` too.
    const redis = await RedisServer.start();
    const subscriber = new Redis(redis.url);
    const announcer = new Redis(redis.url);
    const wakeups = new RelayWakeups(
      new ChannelSubscriber(subscriber, logger),
      relaysOf,
      (id) => map.shardFor(id).database,
    );
    try {
      await wakeups.start();
      await announcer.publish(`chat:${chatId}`, '{}');
      await waitUntil('the relay of the chat was woken', () => nudges.get(fourth) === 1);
      await announcer.publish('chat:not-an-id', '{}');
      await waitUntil('every relay was woken', () => map.shards.every((s) => (nudges.get(s.database) ?? 0) >= 1));
      // The chat's event woke its shard's relay alone; the unreadable channel then woke each relay once.
      expect(map.shards.map((s) => nudges.get(s.database))).toEqual([1, 1, 1, 2]);
    } finally {
      await wakeups.stop();
      subscriber.disconnect();
      announcer.disconnect();
      await redis.close();
    }
  });
});
