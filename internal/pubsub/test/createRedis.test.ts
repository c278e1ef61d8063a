/**
 * `createRedis` on a single server: commands issued in one turn of the event loop reach Redis in one socket write
 * (ioredis auto-pipelining), in order, each with its own reply; a subscriber connection is left alone.
 */
import type { Socket } from 'node:net';
import type Redis from 'ioredis';
import { createRedis } from '../src';

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Counts the writes on `redis`'s socket from now on. */
function countWrites(redis: Redis): () => number {
  const stream = (redis as unknown as { stream: Socket }).stream;
  let writes = 0;
  const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
  (stream as unknown as { write: (...args: unknown[]) => boolean }).write = (...args: unknown[]) => {
    writes++;
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
