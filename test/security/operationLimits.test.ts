/**
 * Operation limits against a real gateway, as an attacker would try them: the fragment bomb (2^30 fields in a 1 KB
 * request), aliases hidden in fragments, and a 143-byte query asking for 10^8 nodes are refused with
 * `QUERY_TOO_COMPLEX` (numbers in `extensions`) over HTTP and WebSocket; a flood of bombs leaves `/health` answering.
 */
import {
  createTestDatabases,
  gatewayRequest,
  liveClient,
  ProcessStack,
  signUp,
  subscribe,
  testConfig,
  type TestDatabases,
  type TestUser,
} from '@chatgraph/testing';

/** `query{...F0} fragment F0 on Query{...F1 ...F1} … fragment Fn on Query{__typename}`. */
const bomb = (n: number, root = 'query { ...F0 }', on = 'Query') =>
  [
    root,
    ...Array.from({ length: n }, (_, i) => `fragment F${i} on ${on} { ...F${i + 1} ...F${i + 1} }`),
    `fragment F${n} on ${on} { __typename }`,
  ].join('\n');

describe('operation limits hold against attacks', () => {
  let dbs: TestDatabases;
  let stack: ProcessStack;
  let url: string;
  let user: TestUser;

  beforeAll(async () => {
    const config = testConfig();
    dbs = await createTestDatabases(config);
    stack = new ProcessStack(ProcessStack.envFor(config));
    await stack.startSubgraphs();
    await stack.start('gateway', 'gateway');
    url = stack.url('gateway');
    user = await signUp(url, 'Attacker');
  }, 120_000);

  afterAll(async () => {
    await stack?.close();
    await dbs?.drop();
  });

  it('refuses the fragment bomb (n = 30) anonymously, with its expanded size, as a 400', async () => {
    const query = bomb(30);
    expect(Buffer.byteLength(query)).toBeLessThan(2048);
    const res = await gatewayRequest(url, null, query);
    expect(res.status).toBe(400);
    expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', cost: 2 ** 30, maxCost: 50_000 });
  });

  it('keeps /health answering through a flood of bombs, and refuses every one of them', async () => {
    const health = stack.url('gateway').replace(/\/graphql$/, '/health');
    const bombs = Array.from({ length: 200 }, () => gatewayRequest(url, null, bomb(30)));
    const probes: number[] = [];
    for (let i = 0; i < 20; i++) probes.push((await fetch(health)).status);
    const answers = await Promise.all(bombs);
    expect(probes.every((s) => s === 200)).toBe(true);
    expect(new Set(answers.map((a) => a.errors?.[0]?.extensions?.code))).toEqual(new Set(['QUERY_TOO_COMPLEX']));
  });

  it('counts aliases hidden in fragments, once per spread', async () => {
    const aliases = Array.from({ length: 1000 }, (_, i) => `a${i}: id`).join(' ');
    const res = await gatewayRequest(url, user.token, `query { me { ...M } } fragment M on User { ${aliases} }`);
    expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', aliases: 1000, maxAliases: 50 });
  });

  it('refuses 10^8 nodes asked for in 143 bytes', async () => {
    const query =
      'query{myChats(first:100){nodes{messages(last:100){nodes{author{chats(first:100){nodes{messages(last:100){nodes{id}}}}}}}}}}';
    const res = await gatewayRequest(url, user.token, query);
    expect(res.errors?.[0]?.extensions?.code).toBe('QUERY_TOO_COMPLEX');
    expect(res.errors![0]!.extensions!.cost as number).toBeGreaterThan(1e8);
  });

  it('applies the same limits over WebSocket', async () => {
    const client = liveClient(stack.wsUrl('gateway'), user.token);
    try {
      // A valid subscription (one root field) whose selection is the bomb.
      const sub = subscribe(client, bomb(30, 'subscription { chatEvents(chatId: "1") { ...F0 } }', 'ChatEvent'));
      await sub.waitFor(() => false, 10_000).catch(() => undefined);
      const list = sub.errors[0] as Array<{ extensions?: Record<string, unknown> }>;
      expect(list?.[0]?.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', maxCost: 50_000 });
      expect(list![0]!.extensions!.cost as number).toBeGreaterThan(2 ** 30);
    } finally {
      await client.dispose();
    }
  });
});
