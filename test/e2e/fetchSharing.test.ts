/**
 * Shared in-flight subgraph fetches through real processes: identical history queries sent at once by one viewer
 * share subgraph requests (the gateway's `/stats` counts them) and get identical answers; and while identical queries
 * are in flight all the time, with slow answers from chats, a client that saw another member's message arrive live
 * finds it in the first history page it asks for next, although the message was sent through another gateway (the
 * event it received ended the sharing of what was sent before). The rule for a mutation sent through the same gateway
 * is held by gateway/test/sharedFetches.test.ts, where the subgraph's reads can be timed.
 */
import {
  createTestDatabases,
  gatewayRequest,
  liveClient,
  ProcessStack,
  RedisServer,
  signUp,
  TcpProxy,
  testConfig,
  type TestDatabases,
  type TestUser,
} from '@chatgraph/testing';

const HISTORY = 'query($c: ID!) { chat(id: $c) { messages(last: 5) { nodes { seq text } } } }';
const SEND =
  'mutation($c: ID!, $t: String!, $m: String!) { sendMessage(chatId: $c, text: $t, clientMessageId: $m) { seq } }';
const EVENTS = 'subscription($c: ID!) { chatEvents(chatId: $c) { seq message { text } } }';

interface History {
  chat: { messages: { nodes: Array<{ seq: number; text: string }> } };
}

describe('shared in-flight fetches', () => {
  let redis: RedisServer;
  let dbs: TestDatabases;
  let stack: ProcessStack;
  let alice: TestUser;
  let bob: TestUser;
  let chatId: string;
  let chatsProxy: TcpProxy;

  beforeAll(async () => {
    redis = await RedisServer.start();
    const config = testConfig({ REDIS_URL: redis.url });
    dbs = await createTestDatabases(config);
    stack = new ProcessStack(ProcessStack.envFor(config));
    await stack.startSubgraphs();
    // Gateway a reaches chats through a proxy that can make its answers slow: a history read then stays in flight
    // after the chats service committed a message sent meanwhile, the case sharing must not answer from.
    chatsProxy = await TcpProxy.start(Number(new URL(stack.url('chats')).port));
    await Promise.all([
      stack.start('a', 'gateway', undefined, { CHATS_URL: `http://127.0.0.1:${chatsProxy.port}/graphql` }),
      stack.start('b', 'gateway'),
    ]);
    [alice, bob] = await Promise.all([signUp(stack.url('a'), 'Alice'), signUp(stack.url('a'), 'Bob')]);
    const created = await gatewayRequest<{ createGroupChat: { id: string } }>(
      stack.url('a'),
      alice.token,
      'mutation($t: String!, $m: [ID!]!) { createGroupChat(title: $t, memberIds: $m) { id } }',
      { t: 'sharing', m: [bob.id] },
    );
    chatId = created.data!.createGroupChat.id;
  }, 120_000);

  afterAll(async () => {
    await stack?.close();
    await chatsProxy?.close();
    await dbs?.drop();
    await redis?.close();
  });

  const joined = async (gateway: string) =>
    ((await (await fetch(stack.adminUrl(gateway))).json()) as { fetchSharing: { joined: number } }).fetchSharing.joined;
  const history = async (gateway: string, user: TestUser) => {
    const answer = await gatewayRequest<History>(stack.url(gateway), user.token, HISTORY, { c: chatId });
    expect(answer.errors).toBeUndefined();
    return answer.data!.chat.messages.nodes.map((n) => n.text);
  };
  const send = async (gateway: string, user: TestUser, text: string) => {
    const sent = await gatewayRequest<{ sendMessage: { seq: number } }>(stack.url(gateway), user.token, SEND, {
      c: chatId,
      t: text,
      m: text,
    });
    expect(sent.errors).toBeUndefined();
    return sent.data!.sendMessage.seq;
  };

  /** Alice's history query, sent again and again by `workers` clients until stopped: fetches to join, always. */
  function background(gateway: string, workers: number) {
    let running = true;
    const loops = Array.from({ length: workers }, async () => {
      while (running) await history(gateway, alice);
    });
    // A read that fails fails the test when the reads stop, not as an unhandled rejection meanwhile.
    const settled = Promise.allSettled(loops);
    return async () => {
      running = false;
      const failed = (await settled).find((r) => r.status === 'rejected');
      if (failed) throw (failed as PromiseRejectedResult).reason;
    };
  }

  it('answers identical queries sent at once with shared subgraph requests and identical answers', async () => {
    await send('a', alice, 'first');
    const before = await joined('a');
    const answers = await Promise.all(Array.from({ length: 24 }, () => history('a', alice)));
    expect(new Set(answers.map((a) => JSON.stringify(a))).size).toBe(1);
    expect(answers[0]).toContain('first');
    expect(await joined('a')).toBeGreaterThan(before);
  });

  it("shows another member's message, sent through another gateway, once its event arrived", async () => {
    const client = liveClient(stack.wsUrl('a'), alice.token);
    // Whose arrival the test waits for; the history query goes out the moment the event is in, not after a poll.
    let awaited: { text: string; arrived: () => void } | undefined;
    const failures: unknown[] = [];
    const unsubscribe = client.subscribe<{ chatEvents: { message: { text: string } | null } }>(
      { query: EVENTS, variables: { c: chatId } },
      {
        next: (r) => {
          if (r.data?.chatEvents.message?.text === awaited?.text) awaited?.arrived();
        },
        error: (err) => failures.push(err),
        complete: () => undefined,
      },
    );
    /** Sends `text` as Bob through gateway b; resolves once its event reached Alice on gateway a, within `ms`. */
    const sendAndHear = async (text: string, ms: number) => {
      let timer: NodeJS.Timeout | undefined;
      const arrival = new Promise<void>((resolve, reject) => {
        awaited = { text, arrived: resolve };
        timer = setTimeout(() => reject(new Error(`${text} did not arrive live: ${JSON.stringify(failures)}`)), ms);
      });
      try {
        await Promise.all([send('b', bob, text), arrival]);
      } finally {
        clearTimeout(timer);
      }
    };
    const missing: string[] = [];
    try {
      // A message of Bob's that arrives tells that the subscription is live (its start is acknowledged by nothing).
      let live = false;
      for (let i = 0; i < 10 && !live; i++)
        live = await sendAndHear(`hello-${i}`, 2000).then(
          () => true,
          () => false,
        );
      expect(live).toBe(true);
      // Chats answers gateway a 100 ms late from now on; Alice's reads never stop, so one is always in flight.
      chatsProxy.slowAnswers(100);
      const stop = background('a', 6);
      try {
        for (let i = 0; i < 25; i++) {
          const text = `bob-${i}`;
          await sendAndHear(text, 10_000);
          if (!(await history('a', alice)).includes(text)) missing.push(text);
        }
      } finally {
        await stop();
      }
    } finally {
      chatsProxy.slowAnswers(0);
      unsubscribe();
      await client.dispose();
    }
    expect(missing).toEqual([]);
  }, 120_000);
});
