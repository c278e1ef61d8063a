/**
 * The publish breaker of RedisEventBus over a Redis that freezes (a proxy that stops answering, connections kept
 * open): publishes fail at their time limit, then the breaker opens and refuses them without trying; when Redis
 * answers again a probe goes through, the breaker closes, and a subscriber receives what is published.
 */
import Redis from 'ioredis';
import { createLogger } from '@chatgraph/logging';
import { TcpProxy, waitUntil } from '@chatgraph/testing';
import { RedisEventBus } from '../src';

const redisPort = Number(new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379').port || 6379);

describe('publish breaker', () => {
  let proxy: TcpProxy;
  let bus: RedisEventBus | undefined;
  let listener: Redis | undefined;

  beforeEach(async () => {
    proxy = await TcpProxy.start(redisPort);
  });
  afterEach(async () => {
    proxy.thaw();
    await bus?.close();
    listener?.disconnect();
    await proxy.close();
  });

  /** A bus through the proxy, once its publisher is connected. */
  const start = async (halfOpenMs: number, publishTimeoutMs = 100) => {
    bus = new RedisEventBus({
      url: `redis://127.0.0.1:${proxy.port}`,
      logger: createLogger('publish-breaker-test', 'silent'),
      publishTimeoutMs,
      breakerFailures: 3,
      breakerHalfOpenMs: halfOpenMs,
    });
    const started = bus;
    await waitUntil('the publisher is connected', () => started.publisher.status === 'ready');
    return started;
  };

  /** The messages a subscriber straight on Redis (not through the proxy) receives on `topic`, as they arrive. */
  const listen = async (topic: string): Promise<string[]> => {
    listener = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    const received: string[] = [];
    listener.on('message', (_channel: string, message: string) => received.push(message));
    await listener.subscribe(topic);
    return received;
  };

  it('opens after publishes fail in a row and then refuses them without trying', async () => {
    const b = await start(600_000);
    expect(await b.publish('t', { n: 0 })).toBe(true);
    proxy.freeze();
    for (let i = 1; i <= 3; i++) expect(await b.publish('t', { n: i })).toBe(false);
    expect(b.stats).toMatchObject({ published: 1, failed: 3, refusedByBreaker: 0, breaker: 'open' });
    // Redis answers again, but the breaker has not let a probe through yet: refused at once, counted.
    proxy.thaw();
    expect(await b.publish('t', { n: 4 })).toBe(false);
    expect(b.stats).toMatchObject({ published: 1, failed: 4, refusedByBreaker: 1, breaker: 'open' });
  });

  it('closes by itself once Redis answers again, and subscribers receive what is published', async () => {
    const b = await start(200);
    const topic = `breaker-${process.pid}-${Date.now()}`;
    const received = await listen(topic);
    proxy.freeze();
    for (let i = 0; i < 3; i++) await b.publish(topic, { during: i });
    expect(b.stats.breaker).toBe('open');
    proxy.thaw();
    let n = 0;
    await waitUntil('a publish goes through again', async () => b.publish(topic, { after: n++ }));
    expect(b.stats.breaker).toBe('closed');
    await waitUntil('the subscriber received it', () => received.some((m) => m.includes('after')));
  });

  it('publishes a batch in order in one command, and a frozen Redis refuses it whole (one failure to the breaker)', async () => {
    const b = await start(600_000);
    const [t1, t2] = [`batch-${process.pid}-${Date.now()}-1`, `batch-${process.pid}-${Date.now()}-2`];
    listener = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    const received: Array<[string, string]> = [];
    listener.on('message', (channel: string, message: string) => received.push([channel, message]));
    await listener.subscribe(t1, t2);
    const shared = { same: 'object' };
    const batch = [
      { topic: t1, payload: { n: 1 } },
      { topic: t2, payload: shared },
      { topic: t1, payload: shared },
      { topic: t2, payload: { n: 2 } },
    ];
    expect(await b.publishMany(batch)).toEqual([true, true, true, true]);
    expect(b.stats).toMatchObject({ published: 4, failed: 0 });
    await waitUntil('the subscriber received the batch', () => received.length === 4);
    expect(received).toEqual(batch.map((m) => [m.topic, JSON.stringify(m.payload)]));

    proxy.freeze();
    expect(await b.publishMany(batch.slice(0, 3))).toEqual([false, false, false]);
    // Every message counted as failed, the batch as one failure of the breaker (3 in a row open it).
    expect(b.stats).toMatchObject({ published: 4, failed: 3, refusedByBreaker: 0, breaker: 'closed' });
    expect(await b.publishMany(batch.slice(0, 2))).toEqual([false, false]);
    expect(await b.publish(t1, { n: 3 })).toBe(false);
    expect(b.stats).toMatchObject({ published: 4, failed: 6, refusedByBreaker: 0, breaker: 'open' });
    expect(await b.publishMany(batch)).toEqual([false, false, false, false]);
    expect(b.stats).toMatchObject({ published: 4, failed: 10, refusedByBreaker: 4, breaker: 'open' });
  });

  it('closes only after a publish waiting behind an unanswered one was answered', async () => {
    const b = await start(600_000, 5_000);
    const topic = `close-${process.pid}-${Date.now()}`;
    const received = await listen(topic);
    proxy.freeze();
    const first = b.publish(topic, { n: 1 });
    // The first is written (its batch waits for Redis's reply); the second waits behind it in the client.
    await new Promise((resolve) => setImmediate(resolve));
    const second = b.publish(topic, { n: 2 });
    const closed = b.close();
    setTimeout(() => proxy.thaw(), 50);
    await closed;
    expect(await Promise.all([first, second])).toEqual([true, true]);
    await waitUntil('the listener received both', () => received.length === 2);
    expect(received.map((m) => JSON.parse(m).n)).toEqual([1, 2]);
  });
});
