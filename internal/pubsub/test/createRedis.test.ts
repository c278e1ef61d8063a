/**
 * `createRedis` on a single server: commands issued in one turn of the event loop reach Redis in one socket write
 * (ioredis auto-pipelining), in order, each with its own reply; a subscriber connection is left alone. The event bus's
 * publisher: a batch and the publishes issued with it in one write, in order; a payload shared by a batch's channels
 * sent once; a publish issued just before `close` is not lost.
 */
import type { Socket } from 'node:net';
import Redis from 'ioredis';
import { createLogger } from '@chatgraph/logging';
import { waitUntil } from '@chatgraph/testing';
import { createRedis, RedisEventBus } from '../src';

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Counts the writes on `redis`'s socket from now on (and, with `bytes`, the bytes written). */
function countWrites(redis: Redis, bytes?: { written: number }): () => number {
  const stream = (redis as unknown as { stream: Socket }).stream;
  let writes = 0;
  const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
  (stream as unknown as { write: (...args: unknown[]) => boolean }).write = (...args: unknown[]) => {
    writes++;
    if (bytes) bytes.written += Buffer.byteLength(args[0] as string | Buffer);
    return write(...args);
  };
  return () => writes;
}

describe('createRedis on a single server', () => {
  const clients: Redis[] = [];
  afterEach(() => {
    for (const client of clients.splice(0)) client.disconnect();
  });
  const connect = async (subscriber = false) => {
    const redis = createRedis(url, { name: 'create-redis-test', subscriber });
    clients.push(redis);
    await new Promise<void>((resolve) => redis.once('ready', () => resolve()));
    return redis;
  };

  it('sends commands issued together in one write, in order, each with its own reply', async () => {
    const redis = await connect();
    const key = `create-redis-test:${process.pid}:${Date.now()}`;
    const writes = countWrites(redis);
    const replies = await Promise.all([
      redis.set(key, 'a'),
      redis.append(key, 'b'),
      redis.get(key),
      // A command that fails fails alone.
      redis.incr(key).catch((err: Error) => err.message),
      redis.del(key),
    ]);
    expect(replies).toEqual(['OK', 2, 'ab', expect.stringMatching(/not an integer/), 1]);
    expect(writes()).toBe(1);
  });

  it('sends commands issued on different turns in their own writes', async () => {
    const redis = await connect();
    const writes = countWrites(redis);
    await redis.ping();
    await redis.ping();
    expect(writes()).toBe(2);
  });

  it('does not pipeline a subscriber connection', async () => {
    const redis = await connect(true);
    expect(redis.options.enableAutoPipelining).toBe(false);
  });
});

describe('the event bus publisher on a single server', () => {
  const logger = createLogger('create-redis-test', 'silent');
  let listener: Redis;
  const received: Array<[string, string]> = [];
  const topics = [1, 2].map((i) => `bus-writes-${process.pid}-${Date.now()}-${i}`);
  beforeAll(async () => {
    listener = new Redis(url);
    listener.on('message', (channel: string, message: string) => received.push([channel, message]));
    await listener.subscribe(...topics);
  });
  afterAll(() => listener.disconnect());

  const startBus = async () => {
    const bus = new RedisEventBus({ url, logger });
    await waitUntil('the publisher is connected', () => bus.publisher.status === 'ready');
    return bus;
  };

  it('writes a batch and the publishes issued with it in one write, in the order issued', async () => {
    const bus = await startBus();
    try {
      received.length = 0;
      const writes = countWrites(bus.publisher as Redis);
      const [t1, t2] = topics as [string, string];
      const results = await Promise.all([
        bus.publish(t1, { n: 0 }),
        bus.publishMany([
          { topic: t2, payload: { n: 1 } },
          { topic: t1, payload: { n: 2 } },
        ]),
        bus.publish(t2, { n: 3 }),
      ]);
      expect(results).toEqual([true, [true, true], true]);
      expect(writes()).toBe(1);
      await waitUntil('the listener received all four', () => received.length === 4);
      expect(received.map(([topic, m]) => `${topic === t1 ? 't1' : 't2'}:${JSON.parse(m).n}`)).toEqual([
        't1:0',
        't2:1',
        't1:2',
        't2:3',
      ]);
    } finally {
      await bus.close();
    }
  });

  it('sends a payload shared by many channels once, and each channel receives it', async () => {
    const bus = await startBus();
    const channels = Array.from({ length: 50 }, (_, i) => `bus-shared-${process.pid}-${Date.now()}-${i}`);
    const subscriber = new Redis(url);
    try {
      const heard = new Map<string, string>();
      subscriber.on('message', (channel: string, message: string) => heard.set(channel, message));
      await subscriber.subscribe(...channels);
      const payload = { __typename: 'ChatActivity', text: 'x'.repeat(2000) };
      const size = Buffer.byteLength(JSON.stringify(payload));
      // Once on this connection the script goes by its hash (the first use sends its text).
      await bus.publishMany([
        { topic: channels[0]!, payload },
        { topic: channels[1]!, payload },
      ]);
      const bytes = { written: 0 };
      const writes = countWrites(bus.publisher as Redis, bytes);
      const results = await bus.publishMany(channels.map((topic) => ({ topic, payload })));
      expect(results).toEqual(channels.map(() => true));
      expect(writes()).toBe(1);
      // The payload once, and the 50 channel names with their payload numbers: far less than 50 payloads.
      expect(bytes.written).toBeGreaterThan(size);
      expect(bytes.written).toBeLessThan(size + 50 * 80);
      await waitUntil('every channel received it', () => heard.size === 50);
      expect(new Set(heard.values())).toEqual(new Set([JSON.stringify(payload)]));
    } finally {
      subscriber.disconnect();
      await bus.close();
    }
  });

  it('writes a publish issued just before close before it quits', async () => {
    const bus = await startBus();
    received.length = 0;
    const published = bus.publish(topics[0]!, { last: true });
    await bus.close();
    expect(await published).toBe(true);
    await waitUntil('the listener received it', () => received.length === 1);
  });
});
