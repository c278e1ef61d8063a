/**
 * Rate limits on a real Redis Cluster (started by the test): two instances of one deployment count one limit
 * together, for subjects whose counters live on different masters, and nothing falls back to per-process counters.
 */
import { createLogger } from '@chatgraph/logging';
import { createRedis, redisLocation } from '@chatgraph/pubsub';
import { RedisCluster, testConfig } from '@chatgraph/testing';
import { RateLimits } from '../src';

const silent = createLogger('ratelimit-cluster-test', 'silent');
let cluster: RedisCluster;

beforeAll(async () => {
  cluster = await RedisCluster.start();
}, 60_000);
afterAll(async () => {
  await cluster?.close();
});

it('counts one limit across instances on the cluster, for subjects on every master', async () => {
  const config = testConfig({ REDIS_CLUSTER_NODES: cluster.seeds, RATE_LIMIT_MESSAGE_USER: '3/1m' });
  const [one, two] = [RateLimits.fromConfig(config, silent), RateLimits.fromConfig(config, silent)] as const;
  const inspector = createRedis(redisLocation(config), { name: 'inspector', offlineQueue: true });
  try {
    await Promise.all([one.store.connected(), two.store.connected()]);
    const subjects: string[] = [];
    const masters = new Set<number>();
    for (let i = 0; masters.size < 3; i++) {
      const master = await cluster.masterOf(`{rl:message:user:${i}}`);
      if (!masters.has(master)) {
        masters.add(master);
        subjects.push(String(i));
      }
    }
    for (const subject of subjects) {
      const verdicts = [];
      for (const limits of [one, two, one, two]) verdicts.push(await limits.messagesPerUser.take(subject));
      expect(verdicts.map((v) => v.allowed)).toEqual([true, true, true, false]);
      expect(await inspector.get(`${config.DB_NAME_PREFIX}:{rl:message:user:${subject}}`)).toBe('4');
    }
    expect(one.store.stats.redisFailures + two.store.stats.redisFailures).toBe(0);
  } finally {
    await Promise.all([one.close(), two.close()]);
    inspector.disconnect();
  }
});
