import { identitySignerFromConfig } from '@chatgraph/auth';
import { createLogger } from '@chatgraph/logging';
import { RedisEventBus } from '@chatgraph/pubsub';
import { RateLimits } from '@chatgraph/ratelimit';
import {
  PostgresCluster,
  createTestDatabases,
  subgraphRequester,
  testConfig,
  type TestDatabases,
} from '@chatgraph/testing';
import { createChatsServer } from '../src/server';
import { everyUserExists } from './harness';
import { codeOf, newUser, ok } from './harness';

describe('a database outage', () => {
  let cluster: PostgresCluster;
  let dbs: TestDatabases;
  let bus: RedisEventBus;
  let limits: RateLimits;
  let server: ReturnType<typeof createChatsServer>['server'];
  let request: ReturnType<typeof subgraphRequester>;

  beforeAll(async () => {
    cluster = await PostgresCluster.start();
    const config = testConfig({ DATABASE_URL: cluster.url, CHATS_SHARDS: '2', USERS_SHARDS: '1' });
    dbs = await createTestDatabases(config);
    const logger = createLogger('chats-test', 'silent');
    bus = new RedisEventBus({ url: config.REDIS_URL, logger });
    limits = RateLimits.fromConfig(config, logger);
    ({ server } = createChatsServer({
      db: dbs.chats,
      bus,
      limits,
      identity: identitySignerFromConfig(config),
      logger,
      users: everyUserExists,
    }));
    request = subgraphRequester(config, await server.listen(0));
  }, 120_000);
  afterAll(async () => {
    await server.close();
    await limits.close();
    await bus.close();
    await dbs.users.close();
    await dbs.chats.close();
    await cluster.close();
  });

  it('is SERVICE_UNAVAILABLE while Postgres is down, and the service recovers by itself', async () => {
    const a = newUser();
    const create = () =>
      request<{ createGroupChat: { id: string } }>(
        `mutation { createGroupChat(title: "g", memberIds: []) { id } }`,
        {},
        a,
      );
    const chatId = ok(await create()).createGroupChat.id;
    const sendQ = `mutation($c: ID!, $k: String!) { sendMessage(chatId: $c, text: "hi", clientMessageId: $k) { seq } }`;
    ok(await request(sendQ, { c: chatId, k: 'before' }, a));

    await cluster.stop('immediate');
    const during = await request(sendQ, { c: chatId, k: 'during' }, a);
    expect(codeOf(during)).toBe('SERVICE_UNAVAILABLE');
    expect(codeOf(await request(`query { myChats { nodes { id } } }`, {}, a))).toBe('SERVICE_UNAVAILABLE');

    await cluster.restart();
    // the pools reconnect on their own; the retried send (same clientMessageId) lands once
    let res = await request<{ sendMessage: { seq: number } }>(sendQ, { c: chatId, k: 'during' }, a);
    for (let i = 0; i < 50 && res.errors; i++) {
      await new Promise((r) => setTimeout(r, 100));
      res = await request<{ sendMessage: { seq: number } }>(sendQ, { c: chatId, k: 'during' }, a);
    }
    expect(ok(res).sendMessage.seq).toBe(3);
  });
});
