import Redis from 'ioredis';
import { GraphQLError } from 'graphql';
import { createLogger } from '@chatgraph/logging';
import { RedisServer, testConfig, waitUntil } from '@chatgraph/testing';
import { RateLimits } from '../src';

const silent = createLogger('ratelimit-test', 'silent');

/** The `RATE_LIMITED` error a call threw, or undefined when it passed. */
async function refusal(call: Promise<unknown>): Promise<GraphQLError | undefined> {
  try {
    await call;
    return undefined;
  } catch (err) {
    if (err instanceof GraphQLError && err.extensions.code === 'RATE_LIMITED') return err;
    throw err;
  }
}

describe('RateLimits (shared Redis)', () => {
  const config = testConfig({ RATE_LIMIT_MESSAGE_USER: '3/1m', RATE_LIMIT_LOGIN_USER: '2/2s..8s' });
  // Two processes of one deployment: each its own connection, the same namespace.
  const [one, two] = [RateLimits.fromConfig(config, silent), RateLimits.fromConfig(config, silent)] as const;
  const other = RateLimits.fromConfig(testConfig({ RATE_LIMIT_MESSAGE_USER: '3/1m' }), silent);
  const inspector = new Redis(config.REDIS_URL);
  beforeAll(() => Promise.all([one, two, other].map((l) => l.store.connected())));
  afterAll(async () => {
    await Promise.all([one.close(), two.close(), other.close()]);
    inspector.disconnect();
  });

  it('counts one limit across every instance, keyed {rl:<family>:<subject>} under the deployment prefix', async () => {
    const verdicts = [];
    for (const limits of [one, two, one, two]) verdicts.push(await limits.messagesPerUser.take('42'));
    expect(verdicts.slice(0, 3)).toEqual([{ allowed: true }, { allowed: true }, { allowed: true }]);
    expect(verdicts[3]).toEqual({ allowed: false, retryAfterMs: expect.any(Number) });
    const { retryAfterMs } = verdicts[3] as { retryAfterMs: number };
    expect(retryAfterMs).toBeGreaterThan(0);
    expect(retryAfterMs).toBeLessThanOrEqual(60_000);
    expect(await inspector.get(`${config.DB_NAME_PREFIX}:{rl:message:user:42}`)).toBe('4');
    // Another deployment (prefix) sharing the Redis has its own counters.
    expect(await other.messagesPerUser.take('42')).toEqual({ allowed: true });
  });

  it('throws RATE_LIMITED with extensions.retryAfterMs', async () => {
    for (let i = 0; i < 3; i++) await one.messagesPerUser.takeOrThrow('43');
    const error = await refusal(two.messagesPerUser.takeOrThrow('43'));
    expect(error?.extensions).toEqual({ code: 'RATE_LIMITED', retryAfterMs: expect.any(Number) });
    expect(error?.message).toMatch(/^Too many messages from you; try again in \d+ s\.$/);
  });

  describe('login: growing delays per username', () => {
    it('lets the free attempts through, then one attempt per wait, the wait doubling up to the cap', () => {
      expect([1, 2, 3, 4, 5, 6, 7].map((n) => one.login.waitSeconds(n))).toEqual([0, 0, 2, 4, 8, 8, 8]);
    });

    it('refuses an attempt before its wait is over, with the time left, wherever it arrives', async () => {
      await one.login.admit('ada');
      await two.login.admit('ada');
      await one.login.admit('ada'); // third attempt: allowed, and the next one waits 2 s
      const refused = await refusal(two.login.admit('ada'));
      expect(refused?.extensions.retryAfterMs).toBeGreaterThan(0);
      expect(refused?.extensions.retryAfterMs).toBeLessThanOrEqual(2000);
      expect(refused?.message).toMatch(/sign-in attempts for this username/);
      // Other usernames are not affected.
      await two.login.admit('grace');
    });

    it('admits a concurrent burst of guesses only as far as the free attempts and one more', async () => {
      const outcomes = await Promise.all(Array.from({ length: 20 }, () => refusal(one.login.admit('burst'))));
      expect(outcomes.filter((o) => o === undefined)).toHaveLength(3);
    });

    it('forgets the attempts of a username after a success', async () => {
      for (let i = 0; i < 3; i++) await one.login.admit('linus');
      expect(await refusal(one.login.admit('linus'))).toBeDefined();
      await two.login.succeeded('linus');
      for (let i = 0; i < 3; i++) expect(await refusal(one.login.admit('linus'))).toBeUndefined();
    });
  });
});

describe('RateLimits while Redis is down', () => {
  let redis: RedisServer;
  let limits: RateLimits;
  beforeAll(async () => {
    redis = await RedisServer.start();
    limits = RateLimits.fromConfig(testConfig({ REDIS_URL: redis.url, RATE_LIMIT_MESSAGE_USER: '2/1m' }), silent);
  });
  afterAll(async () => {
    await limits.close();
    await redis.close();
  });

  it('decides from per-process counters (counted) instead of refusing everything, and uses Redis again after', async () => {
    await limits.store.connected();
    expect(await limits.messagesPerUser.take('1')).toEqual({ allowed: true });
    await redis.stop();
    await waitUntil('the limiter saw Redis go', () => limits.store.redis.status !== 'ready');
    expect(await limits.messagesPerUser.take('2')).toEqual({ allowed: true });
    expect(await limits.messagesPerUser.take('2')).toEqual({ allowed: true });
    expect(await limits.messagesPerUser.take('2')).toMatchObject({ allowed: false });
    expect(limits.store.stats.redisFailures).toBe(3);
    await redis.restart();
    await waitUntil('the limiter is connected again', () => limits.store.redis.status === 'ready');
    expect(await limits.messagesPerUser.take('3')).toEqual({ allowed: true });
    expect(limits.store.stats.redisFailures).toBe(3);
  });
});
