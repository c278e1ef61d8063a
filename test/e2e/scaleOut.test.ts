/**
 * Scale-out: gateway instances share nothing but Redis. Real HAProxy (the deployed configuration) balances WebSockets
 * over two gateway processes with leastconn; a third instance joins later; an event sent through any of them reaches
 * subscribers on all of them.
 */
import {
  createTestDatabases,
  gatewayRequest,
  haproxyInstalled,
  HaproxyProcess,
  liveClient,
  type LiveSubscription,
  ProcessStack,
  signUp,
  subscribe,
  testConfig,
  type TestDatabases,
} from '@chatgraph/testing';

if (!haproxyInstalled)
  console.warn('haproxy is not installed: the scale-out test behind HAProxy is SKIPPED (apt-get install -y haproxy)');
const describeWithHaproxy = haproxyInstalled ? describe : describe.skip;

const EVENTS = 'subscription($c: ID!, $a: Int) { chatEvents(chatId: $c, afterSeq: $a) { seq message { text } } }';
type Events = { chatEvents: { seq: number; message: { text: string } | null } };

describeWithHaproxy('scale-out behind HAProxy', () => {
  let dbs: TestDatabases;
  let stack: ProcessStack;
  let proxy: HaproxyProcess;

  beforeAll(async () => {
    const config = testConfig({ USERS_SHARDS: '1', CHATS_SHARDS: '2' });
    dbs = await createTestDatabases(config);
    stack = new ProcessStack(ProcessStack.envFor(config));
    await stack.startSubgraphs();
    const [a, b] = await Promise.all([stack.start('gatewayA', 'gateway'), stack.start('gatewayB', 'gateway')]);
    proxy = await HaproxyProcess.start([a.port, b.port]);
  }, 120_000);

  afterAll(async () => {
    await proxy?.close();
    await stack?.close();
    await dbs?.drop();
  });

  it('spreads live connections over both instances and delivers every event to every subscriber, on any instance', async () => {
    const owner = await signUp(proxy.url, 'Owner');
    const members = await Promise.all([1, 2, 3].map((i) => signUp(proxy.url, `Member ${i}`)));
    const created = await gatewayRequest<{ createGroupChat: { id: string; lastSeq: number } }>(
      proxy.url,
      owner.token,
      'mutation($m: [ID!]!) { createGroupChat(title: "scale", memberIds: $m) { id lastSeq } }',
      { m: members.map((m) => m.id) },
    );
    const { id: chatId, lastSeq } = created.data!.createGroupChat;

    // four subscribers through the proxy, one directly on a third instance started now
    const clients = [owner, ...members].map((u) => liveClient(proxy.wsUrl, u.token));
    const subs: Array<LiveSubscription<Events>> = clients.map((c) =>
      subscribe<Events>(c, EVENTS, { c: chatId, a: lastSeq }),
    );
    const c = await stack.start('gatewayC', 'gateway');
    const direct = liveClient(stack.wsUrl('gatewayC'), members[0]!.token);
    subs.push(subscribe<Events>(direct, EVENTS, { c: chatId, a: lastSeq }));

    const seqs: number[] = [];
    for (let i = 0; i < 5; i++) {
      const via = [proxy.url, stack.url('gatewayC')][i % 2]!;
      const res = await gatewayRequest<{ sendMessage: { seq: number } }>(
        via,
        members[i % 3]!.token,
        'mutation($c: ID!, $t: String!, $m: String!) { sendMessage(chatId: $c, text: $t, clientMessageId: $m) { seq } }',
        { c: chatId, t: `message ${i}`, m: `scale-${i}` },
      );
      seqs.push(res.data!.sendMessage.seq);
    }
    for (const sub of subs) {
      await sub.waitFor((r) => r.length >= 5);
      expect(sub.results.map((r) => r.data!.chatEvents.seq)).toEqual(seqs);
    }

    const metrics = await Promise.all(
      [stack.processes.get('gatewayA')!, stack.processes.get('gatewayB')!, c].map(
        async (p) =>
          (await (await fetch(`http://127.0.0.1:${p.adminPort}/stats`)).json()) as {
            connections: number;
            subscriptions: { topics: number };
          },
      ),
    );
    // leastconn put two of the four proxied sockets on each instance; the third has the direct one
    expect(metrics.map((m) => m.connections)).toEqual([2, 2, 1]);
    // each instance subscribed to the chat's topic once, whatever its number of local subscribers
    expect(metrics.map((m) => m.subscriptions.topics)).toEqual([1, 1, 1]);
    await Promise.all([...clients, direct].map((client) => client.dispose()));
  });
});
