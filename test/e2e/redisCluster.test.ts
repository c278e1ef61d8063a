/**
 * The whole stack on a Redis Cluster (`REDIS_CLUSTER_NODES`; 3 masters and 3 replicas started by the test): two
 * gateway instances, a live subscriber on each, every message delivered once and in order to both; then the master
 * serving the chat's channel is killed mid-stream, its replica takes over, and delivery goes on: nothing lost, nothing
 * twice, in order (what was published while the master was gone is repaired from the event log).
 */
import {
  createTestDatabases,
  gatewayRequest,
  liveClient,
  LOAD_RATE_LIMITS,
  ProcessStack,
  RedisCluster,
  signUp,
  subscribe,
  tail,
  testConfig,
  type LiveSubscription,
  type TestDatabases,
  waitUntil,
} from '@chatgraph/testing';

const EVENTS = 'subscription($c: ID!, $a: Int) { chatEvents(chatId: $c, afterSeq: $a) { seq message { text } } }';
type Events = { chatEvents: { seq: number; message: { text: string } | null } };
const SEND =
  'mutation($c: ID!, $t: String!, $m: String!) { sendMessage(chatId: $c, text: $t, clientMessageId: $m) { seq } }';

describe('on a Redis Cluster', () => {
  let cluster: RedisCluster;
  let dbs: TestDatabases;
  let stack: ProcessStack;

  beforeAll(async () => {
    cluster = await RedisCluster.start();
    const config = testConfig({ USERS_SHARDS: '1', CHATS_SHARDS: '1', REDIS_CLUSTER_NODES: cluster.seeds });
    dbs = await createTestDatabases(config);
    // Logs at info: a failure shows how the gateways' subscribers followed the failover.
    const env = { ...LOAD_RATE_LIMITS, REDIS_CLUSTER_NODES: cluster.seeds, LOG_LEVEL: 'info' };
    stack = new ProcessStack(ProcessStack.envFor(config, env));
    await stack.startSubgraphs();
    await Promise.all([stack.start('gatewayA', 'gateway'), stack.start('gatewayB', 'gateway')]);
  }, 180_000);

  afterAll(async () => {
    await stack?.close();
    await dbs?.drop();
    await cluster?.close();
  });

  it('delivers every message once and in order through two gateways, through a master failover mid-stream', async () => {
    const a = stack.url('gatewayA');
    const b = stack.url('gatewayB');
    const owner = await signUp(a, 'Owner');
    const member = await signUp(b, 'Member');
    const created = await gatewayRequest<{ createGroupChat: { id: string; lastSeq: number } }>(
      a,
      owner.token,
      'mutation($m: [ID!]!) { createGroupChat(title: "cluster", memberIds: $m) { id lastSeq } }',
      { m: [member.id] },
    );
    const { id: chatId, lastSeq } = created.data!.createGroupChat;
    const clients = [
      liveClient(stack.wsUrl('gatewayA'), owner.token),
      liveClient(stack.wsUrl('gatewayB'), member.token),
    ];
    const subs: Array<LiveSubscription<Events>> = clients.map((c) =>
      subscribe<Events>(c, EVENTS, { c: chatId, a: lastSeq }),
    );

    const seqs: number[] = [];
    const send = async (i: number) => {
      const res = await gatewayRequest<{ sendMessage: { seq: number } }>(
        [a, b][i % 2]!,
        [owner, member][i % 2]!.token,
        SEND,
        { c: chatId, t: `message ${i}`, m: `cluster-${i}` },
      );
      expect(res.errors).toBeUndefined();
      seqs.push(res.data!.sendMessage.seq);
    };
    const delivered = (sub: LiveSubscription<Events>) => sub.results.map((r) => r.data?.chatEvents.seq);

    for (let i = 0; i < 10; i++) await send(i);
    for (const sub of subs) await sub.waitFor((r) => r.length >= 10, 20_000);
    for (const sub of subs) expect(delivered(sub)).toEqual(seqs);

    // Kill the master of the chat's channel while messages keep coming.
    const master = await cluster.masterOf(`chat:${chatId}`);
    const failover = cluster.failover(master);
    let i = 10;
    let done = false;
    void failover.finally(() => (done = true));
    while (!done) await send(i++);
    const promoted = await failover;
    expect(await cluster.masterOf(`chat:${chatId}`)).toBe(promoted);
    const end = i + 10;
    while (i < end) await send(i++);

    try {
      for (const sub of subs) await sub.waitFor((r) => r.length >= seqs.length, 30_000);
    } catch (err) {
      const logs = ['gatewayA', 'gatewayB'].map((name) => `${name}:\n${tail(stack.processes.get(name)!, 40)}`);
      throw new Error(`${(err as Error).message}\n${logs.join('\n')}`);
    }
    for (const sub of subs) {
      expect(sub.errors).toEqual([]);
      expect(delivered(sub)).toEqual(seqs);
    }
    // a subscription made after the failover is served by the promoted master too
    const late = subscribe<Events>(clients[1]!, EVENTS, { c: chatId, a: seqs.at(-1)! });
    await send(i++);
    await late.waitFor((r) => r.length >= 1, 20_000);
    expect(late.results.map((r) => r.data?.chatEvents.seq)).toEqual([seqs.at(-1)]);
    await Promise.all(clients.map((c) => c.dispose()));
  }, 120_000);

  it('tells both gateways about profile changes and ended sessions', async () => {
    const a = stack.url('gatewayA');
    const b = stack.url('gatewayB');
    const alice = await signUp(a, 'Alice');
    const bob = await signUp(a, 'Bob');
    const created = await gatewayRequest<{ createGroupChat: { id: string } }>(
      a,
      alice.token,
      'mutation($m: [ID!]!) { createGroupChat(title: "profiles", memberIds: $m) { id } }',
      { m: [bob.id] },
    );
    const chatId = created.data!.createGroupChat.id;
    await gatewayRequest(b, bob.token, SEND, { c: chatId, t: 'hello', m: 'profiles-1' });
    const bobsName = async (url: string) => {
      const res = await gatewayRequest<{ chat: { messages: { nodes: Array<{ author: { displayName: string } }> } } }>(
        url,
        alice.token,
        'query($c: ID!) { chat(id: $c) { messages(last: 5) { nodes { author { displayName } } } } }',
        { c: chatId },
      );
      return res.data!.chat.messages.nodes[0]!.author.displayName;
    };
    // Both gateways have Bob's profile in their entity caches; the change is announced to both.
    expect([await bobsName(a), await bobsName(b)]).toEqual(['Bob', 'Bob']);
    await gatewayRequest(a, bob.token, 'mutation { updateProfile(displayName: "Robert") { displayName } }');
    try {
      await waitUntil('both gateways show the new name', async () =>
        (await Promise.all([bobsName(a), bobsName(b)])).every((name) => name === 'Robert'),
      );
    } catch (err) {
      const logs = ['users', 'gatewayA', 'gatewayB'].map((name) => `${name}:\n${tail(stack.processes.get(name)!, 30)}`);
      throw new Error(`${(err as Error).message}\n${logs.join('\n')}`);
    }

    // Bob logs out through one gateway: the other refuses his token too.
    const me = (url: string) => gatewayRequest<{ me: { id: string } }>(url, bob.token, '{ me { id } }');
    expect((await me(b)).data?.me.id).toBe(bob.id);
    expect((await gatewayRequest<{ logOut: boolean }>(a, bob.token, 'mutation { logOut }')).data?.logOut).toBe(true);
    await waitUntil('both gateways refuse the logged-out token', async () =>
      (await Promise.all([me(a), me(b)])).every((res) => res.data?.me === undefined && res.errors !== undefined),
    );
  }, 60_000);

  it('every process stops cleanly on SIGTERM (after the failover too)', async () => {
    const names = [...stack.processes.keys()];
    const codes = await Promise.all(names.map((name) => stack.stop(name)));
    expect(Object.fromEntries(names.map((name, i) => [name, codes[i]]))).toEqual(
      Object.fromEntries(names.map((name) => [name, 0])),
    );
  });
});
