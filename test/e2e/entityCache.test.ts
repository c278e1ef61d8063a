/**
 * The gateways' entity cache over real processes (subgraphs, two gateways, a Redis of the test's own): user profiles
 * in history pages and live events come from each gateway's memory after the first fetch, a profile change is visible
 * in the very next query and the next live event on every gateway, and a gateway whose Redis connection drops stops
 * serving from its cache until it is back (then starts from empty).
 */
import {
  createTestDatabases,
  gatewayRequest,
  liveClient,
  ProcessStack,
  RedisServer,
  signUp,
  subscribe,
  testConfig,
  waitUntil,
  type TestDatabases,
  type TestUser,
} from '@chatgraph/testing';

interface CacheStats {
  hits: number;
  misses: number;
  invalidations: number;
  flushes: number;
  size: number;
  active: boolean;
}

const HISTORY = 'query($c: ID!) { chat(id: $c) { messages(last: 20) { nodes { text author { id displayName } } } } }';
const EVENTS = `subscription($c: ID!) { chatEvents(chatId: $c) { seq message { text author { id displayName } } } }`;

interface History {
  chat: { messages: { nodes: Array<{ text: string; author: { id: string; displayName: string } }> } };
}

describe('entity cache', () => {
  let redis: RedisServer;
  let dbs: TestDatabases;
  let stack: ProcessStack;
  let alice: TestUser;
  let bob: TestUser;
  let chatId: string;
  let sent = 0;
  const gateways = ['gatewayA', 'gatewayB'] as const;

  const cacheOf = async (gateway: string): Promise<CacheStats> => {
    const res = await fetch(stack.adminUrl(gateway));
    return ((await res.json()) as { entityCache: CacheStats }).entityCache;
  };
  const call = async <T>(gateway: string, user: TestUser, query: string, variables: Record<string, unknown> = {}) => {
    const res = await gatewayRequest<T>(stack.url(gateway), user.token, query, variables);
    if (!res.data || res.errors?.length) throw new Error(`${query}: ${JSON.stringify(res.errors)}`);
    return res.data;
  };
  const send = (user: TestUser, text: string) =>
    call<{ sendMessage: { seq: number } }>(
      'gatewayA',
      user,
      'mutation($c: ID!, $t: String!, $m: String!) { sendMessage(chatId: $c, text: $t, clientMessageId: $m) { seq } }',
      { c: chatId, t: text, m: `ec-${process.pid}-${sent++}` },
    );
  /** The display names of Bob's messages in the history page, as `gateway` serves it to Alice. */
  const bobsNames = async (gateway: string) => {
    const data = await call<History>(gateway, alice, HISTORY, { c: chatId });
    return [
      ...new Set(data.chat.messages.nodes.filter((m) => m.author.id === bob.id).map((m) => m.author.displayName)),
    ];
  };
  const rename = (name: string) =>
    call('gatewayA', bob, 'mutation($n: String!) { updateProfile(displayName: $n) { displayName } }', { n: name });

  beforeAll(async () => {
    redis = await RedisServer.start();
    const config = testConfig({ REDIS_URL: redis.url, USERS_SHARDS: '2', CHATS_SHARDS: '2' });
    dbs = await createTestDatabases(config);
    stack = new ProcessStack(ProcessStack.envFor(config));
    await stack.startSubgraphs();
    await Promise.all(gateways.map((g) => stack.start(g, 'gateway')));
    [alice, bob] = await Promise.all([signUp(stack.url('gatewayA'), 'Alice'), signUp(stack.url('gatewayA'), 'Bob')]);
    const created = await call<{ createGroupChat: { id: string } }>(
      'gatewayA',
      alice,
      'mutation($m: [ID!]!) { createGroupChat(title: "cache", memberIds: $m) { id } }',
      { m: [bob.id] },
    );
    chatId = created.createGroupChat.id;
    for (const text of ['one', 'two', 'three']) await send(bob, text);
    await waitUntil('both caches serve', async () => (await Promise.all(gateways.map(cacheOf))).every((c) => c.active));
  }, 120_000);

  afterAll(async () => {
    await stack?.close();
    await dbs?.drop();
    await redis?.close();
  });

  it('serves profiles of a history page from memory after the first fetch', async () => {
    for (const gateway of gateways) {
      expect(await bobsNames(gateway)).toEqual(['Bob']);
      const before = await cacheOf(gateway);
      expect(await bobsNames(gateway)).toEqual(['Bob']);
      const after = await cacheOf(gateway);
      // The second page asked users for nothing: its authors (Bob, and Alice if present) were all hits.
      expect(after.hits).toBeGreaterThan(before.hits);
      expect(after.misses).toBe(before.misses);
    }
  });

  it('shows a profile change in the next query and the next live event on every gateway', async () => {
    const client = liveClient(stack.wsUrl('gatewayB'), alice.token);
    try {
      const sub = subscribe<{ chatEvents: { seq: number; message: { author: { displayName: string } } | null } }>(
        client,
        EVENTS,
        { c: chatId },
      );
      await waitUntil('the live subscription is attached', async () => {
        const res = await fetch(stack.adminUrl('gatewayB'));
        return (
          ((await res.json()) as { subscriptions: { liveSubscriptions: number } }).subscriptions.liveSubscriptions > 0
        );
      });
      // Warm the live path's cache too: an event by Bob before the change.
      const { sendMessage: before } = await send(bob, 'before');
      await sub.waitFor((r) => r.some((x) => x.data?.chatEvents.seq === before.seq));

      for (let round = 1; round <= 3; round++) {
        const name = `Robert ${round}`;
        await rename(name);
        // Straight after the mutation's answer, on both gateways, with no pause.
        expect(await bobsNames('gatewayB')).toEqual([name]);
        expect(await bobsNames('gatewayA')).toEqual([name]);
        const { sendMessage } = await send(bob, `after ${round}`);
        await sub.waitFor((r) => r.some((x) => x.data?.chatEvents.seq === sendMessage.seq));
        const event = sub.results.find((x) => x.data?.chatEvents.seq === sendMessage.seq)!;
        expect(event.data!.chatEvents.message!.author.displayName).toBe(name);
      }
      const stats = await Promise.all(gateways.map(cacheOf));
      for (const s of stats) expect(s.invalidations).toBeGreaterThanOrEqual(3);
    } finally {
      await client.dispose();
    }
  });

  it('stops serving from memory while its Redis is down and starts empty when it is back', async () => {
    await bobsNames('gatewayA');
    expect((await cacheOf('gatewayA')).size).toBeGreaterThan(0);
    await redis.stop();
    await waitUntil('the cache is suspended', async () => !(await cacheOf('gatewayA')).active);
    // Served, uncached: a change made now could not be announced, and none is served stale.
    const misses = (await cacheOf('gatewayA')).misses;
    const hits = (await cacheOf('gatewayA')).hits;
    expect(await bobsNames('gatewayA')).toHaveLength(1);
    expect((await cacheOf('gatewayA')).hits).toBe(hits);
    expect((await cacheOf('gatewayA')).misses).toBe(misses);
    const flushes = (await cacheOf('gatewayA')).flushes;
    await redis.restart();
    await waitUntil('the cache serves again', async () => (await cacheOf('gatewayA')).active, 30_000);
    const back = await cacheOf('gatewayA');
    expect(back.flushes).toBeGreaterThan(flushes);
    expect(back.size).toBe(0);
  }, 60_000);
});
