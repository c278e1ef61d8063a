/**
 * The gateway's direct lane against Apollo Server's pipeline, through real processes: one gateway with the lane (the
 * default), one with `DIRECT_EXECUTION=false`, the same subgraphs and databases. Every request is sent twice to the
 * first gateway (Apollo Server answers the first time, the lane may answer the second) and twice to the second; all four
 * answers must be the same bytes, status, content type and cache-control. The lane's `/stats` counter says whether the
 * second answer was its own, and each request says whether it should be: the lane must serve what it can and leave
 * the rest (refusals, negotiation, malformed requests) to Apollo Server. The request metrics of both gateways (requests
 * by status, operation type and name; errors by code) must end up equal too.
 */
import {
  createTestDatabases,
  gatewayRequest,
  ProcessStack,
  RedisServer,
  signUp,
  testConfig,
  type TestDatabases,
  type TestUser,
} from '@chatgraph/testing';

interface Answer {
  status: number;
  contentType: string | null;
  cacheControl: string | null;
  body: string;
}

/** One request of the comparison. */
interface Case {
  name: string;
  /** Whose credential goes in `Authorization`: none, Alice's session, an API token that may only read, or garbage. */
  as: 'anonymous' | 'alice' | 'reader' | 'garbage';
  /** The POST body (JSON-encoded unless `raw`), or for a GET the query string. */
  body: unknown;
  headers?: Record<string, string>;
  method?: 'GET' | 'POST';
  raw?: boolean;
  /** Whether the lane answers the second time. */
  direct: boolean;
}

const JSON_TYPE = { 'content-type': 'application/json' };
/** Requests one API token may make per minute in this test (the reader's cases use 8). */
const API_TOKEN_LIMIT = 12;
const SDK_ACCEPT = { ...JSON_TYPE, accept: 'application/graphql-response+json, application/json' };

describe('direct lane', () => {
  let redis: RedisServer;
  let dbs: TestDatabases;
  let stack: ProcessStack;
  let alice: TestUser;
  let bob: TestUser;
  let chatId: string;
  let readerToken: string;

  beforeAll(async () => {
    redis = await RedisServer.start();
    const config = testConfig({ REDIS_URL: redis.url });
    dbs = await createTestDatabases(config);
    // Requests per API token are few here, so that one test can count them to the limit.
    stack = new ProcessStack(ProcessStack.envFor(config, { RATE_LIMIT_API_TOKEN: `${API_TOKEN_LIMIT}/1m` }));
    await stack.startSubgraphs();
    // The setup goes through a third gateway, so that the two compared have served the same requests.
    await Promise.all([
      stack.start('direct', 'gateway'),
      stack.start('pipeline', 'gateway', undefined, { DIRECT_EXECUTION: 'false' }),
      stack.start('setup', 'gateway'),
    ]);
    const url = stack.url('setup');
    [alice, bob] = await Promise.all([signUp(url, 'Alice'), signUp(url, 'Bob')]);
    const created = await gatewayRequest<{ createGroupChat: { id: string } }>(
      url,
      alice.token,
      'mutation($t: String!, $m: [ID!]!) { createGroupChat(title: $t, memberIds: $m) { id } }',
      { t: 'direct lane', m: [bob.id] },
    );
    chatId = created.data!.createGroupChat.id;
    for (const text of ['one', 'two', 'three'])
      await gatewayRequest(
        url,
        alice.token,
        'mutation($c: ID!, $t: String!, $m: String!) { sendMessage(chatId: $c, text: $t, clientMessageId: $m) { seq } }',
        { c: chatId, t: text, m: `direct-${text}` },
      );
    const token = await gatewayRequest<{ createApiToken: { token: string } }>(
      url,
      alice.token,
      'mutation { createApiToken(name: "reader", scopes: [CHATS_READ]) { token } }',
    );
    readerToken = token.data!.createApiToken.token;
  }, 120_000);

  afterAll(async () => {
    await stack?.close();
    await dbs?.drop();
    await redis?.close();
  });

  const credential = (as: Case['as']): Record<string, string> =>
    as === 'alice'
      ? { authorization: `Bearer ${alice.token}` }
      : as === 'reader'
        ? { authorization: `Bearer ${readerToken}` }
        : as === 'garbage'
          ? { authorization: 'Bearer not-a-token' }
          : {};

  async function send(gateway: string, c: Case): Promise<Answer> {
    const base = stack.url(gateway);
    const get = c.method === 'GET';
    const res = await fetch(get ? `${base}?${String(c.body)}` : base, {
      method: get ? 'GET' : 'POST',
      headers: { ...(c.headers ?? JSON_TYPE), ...credential(c.as) },
      body: get ? undefined : c.raw ? String(c.body) : JSON.stringify(c.body),
    });
    return {
      status: res.status,
      contentType: res.headers.get('content-type'),
      cacheControl: res.headers.get('cache-control'),
      body: await res.text(),
    };
  }

  async function served(): Promise<number> {
    const stats = (await (await fetch(stack.adminUrl('direct'))).json()) as { directLane: { served: number } };
    return stats.directLane.served;
  }

  /** Each case's query gets its name as a comment, so that no two cases share a document the lane has learned. */
  const q = (name: string, query: string) => `${query}\n# ${name}`;

  const cases = (): Case[] => [
    {
      name: 'a query, no Accept',
      as: 'alice',
      body: { query: q('me', 'query Me { me { id username displayName } }') },
      direct: true,
    },
    {
      name: "the SDK's Accept",
      as: 'alice',
      headers: SDK_ACCEPT,
      body: { query: q('sdk', 'query Me { me { id displayName } }'), operationName: 'Me', variables: {} },
      direct: true,
    },
    {
      name: 'Accept: */*',
      as: 'alice',
      headers: { ...JSON_TYPE, accept: '*/*' },
      body: { query: q('any', '{ me { id } }') },
      direct: true,
    },
    {
      name: 'Accept with weights, and a charset on the content type',
      as: 'alice',
      headers: {
        'content-type': 'application/json; charset=utf-8',
        accept: 'application/json;q=0.5, application/graphql-response+json',
      },
      body: { query: q('weights', '{ me { displayName } }') },
      direct: true,
    },
    {
      name: 'Accept: the callback type (left to Apollo Server)',
      as: 'alice',
      headers: { ...JSON_TYPE, accept: 'application/json; callbackSpec=1.0' },
      body: { query: q('callback', '{ me { id } }') },
      direct: false,
    },
    {
      name: 'Accept: text/html (406)',
      as: 'alice',
      headers: { ...JSON_TYPE, accept: 'text/html' },
      body: { query: q('html', '{ me { id } }') },
      direct: false,
    },
    {
      name: 'history across subgraphs, with variables',
      as: 'alice',
      body: {
        query: q(
          'history',
          `query History($chatId: ID!, $last: Int) {
            chat(id: $chatId) { id title lastSeq members { user { id displayName } }
              messages(last: $last) { nodes { seq text author { id displayName } } } }
          }`,
        ),
        variables: { chatId: '', last: 2 },
      },
      direct: true,
    },
    {
      name: 'variables of the wrong type (400)',
      as: 'alice',
      body: {
        query: q(
          'wrong',
          'query($chatId: ID!, $last: Int) { chat(id: $chatId) { id messages(last: $last) { nodes { seq } } } }',
        ),
        variables: { chatId: '', last: 'two' },
      },
      direct: false,
    },
    {
      name: 'a required variable missing (400)',
      as: 'alice',
      body: { query: q('missing', 'query($chatId: ID!) { chat(id: $chatId) { id } }') },
      direct: false,
    },
    {
      name: 'a document within the cost limit',
      as: 'alice',
      body: {
        query: q(
          'pages',
          'query($n: Int) { myChats(first: $n) { nodes { messages(last: $n) { nodes { author { id } reactions { emoji } } } } } }',
        ),
        variables: { n: 2 },
      },
      direct: true,
    },
    {
      name: 'the same document, its variables over the cost limit (400)',
      as: 'alice',
      body: {
        query: q(
          'pages',
          'query($n: Int) { myChats(first: $n) { nodes { messages(last: $n) { nodes { author { id } reactions { emoji } } } } } }',
        ),
        variables: { n: 100 },
      },
      direct: false,
    },
    {
      name: 'over the cost limit (400)',
      as: 'alice',
      body: {
        query: q(
          'cost',
          'query($n: Int) { myChats(first: $n) { nodes { messages(last: $n) { nodes { author { id } reactions { emoji } } } } } }',
        ),
        variables: { n: 100 },
      },
      direct: false,
    },
    {
      name: 'anonymous: an error from a subgraph',
      as: 'anonymous',
      body: { query: q('anon', '{ me { id } }') },
      direct: true,
    },
    {
      name: 'a token that is garbage (401)',
      as: 'garbage',
      body: { query: q('garbage', '{ me { id } }') },
      direct: false,
    },
    {
      name: 'an API token within its scopes',
      as: 'reader',
      body: { query: q('reader', 'query($c: ID!) { chat(id: $c) { id lastSeq } }'), variables: { c: '' } },
      direct: true,
    },
    {
      name: 'an API token beyond its scopes (403)',
      as: 'reader',
      body: { query: q('scopes', 'mutation { updateProfile(displayName: "Alice") { id } }') },
      direct: false,
    },
    {
      name: 'a key Apollo Server ignores',
      as: 'alice',
      body: { query: q('extra', '{ me { id } }'), foo: 1 },
      direct: false,
    },
    {
      name: 'a persisted-query extension',
      as: 'alice',
      body: { query: q('apq', '{ me { id } }'), extensions: {} },
      direct: false,
    },
    {
      name: 'two operations, one named',
      as: 'alice',
      body: { query: q('two', 'query A { me { id } } query B { me { displayName } }'), operationName: 'B' },
      direct: true,
    },
    {
      name: 'an operation name the document lacks (400)',
      as: 'alice',
      body: { query: q('lacks', 'query A { me { id } }'), operationName: 'C' },
      direct: false,
    },
    {
      name: 'two operations and no name (400)',
      as: 'alice',
      body: { query: q('noname', 'query A { me { id } } query B { me { displayName } }') },
      direct: false,
    },
    {
      name: 'operationName and variables null',
      as: 'alice',
      body: { query: q('nulls', '{ me { username } }'), operationName: null, variables: null },
      direct: true,
    },
    {
      name: 'an unknown chat: NOT_FOUND, data null',
      as: 'alice',
      body: {
        query: q('unknown', 'query($c: ID!) { chat(id: $c) { id } }'),
        variables: { c: '999999999999999999' },
      },
      direct: true,
    },
    {
      name: 'a malformed id: BAD_USER_INPUT from a subgraph',
      as: 'alice',
      body: { query: q('malformed', 'query($c: ID!) { chat(id: $c) { id } }'), variables: { c: '../etc' } },
      direct: true,
    },
    { name: 'nothing but __typename', as: 'anonymous', body: { query: q('typename', '{ __typename }') }, direct: true },
    {
      name: 'a mutation',
      as: 'alice',
      body: { query: q('profile', 'mutation { updateProfile(displayName: "Alice") { id displayName } }') },
      direct: true,
    },
    {
      name: 'a GET',
      as: 'alice',
      method: 'GET',
      headers: {},
      body: `query=${encodeURIComponent(q('get', '{ me { id } }'))}`,
      direct: false,
    },
    {
      name: 'a subscription over HTTP (400)',
      as: 'alice',
      body: { query: q('sub', 'subscription($c: ID!) { chatEvents(chatId: $c) { seq } }'), variables: { c: '' } },
      direct: false,
    },
    {
      name: 'text/plain (CSRF prevention)',
      as: 'alice',
      headers: { 'content-type': 'text/plain' },
      body: { query: q('csrf', '{ me { id } }') },
      direct: false,
    },
    { name: 'a batch', as: 'alice', body: [{ query: q('batch', '{ me { id } }') }], direct: false },
    { name: 'not JSON', as: 'alice', raw: true, body: '{"query": ', direct: false },
  ];

  it('answers every request as Apollo Server does, and serves what it can', async () => {
    const mismatches: string[] = [];
    for (const c of cases()) {
      // The chat's id is known only now.
      const body = c.body as { variables?: Record<string, unknown> } | undefined;
      for (const key of ['chatId', 'c']) if (body?.variables?.[key] === '') body.variables[key] = chatId;
      const first = await send('direct', c);
      const before = await served();
      const second = await send('direct', c);
      const byLane = (await served()) - before;
      const pipeline = [await send('pipeline', c), await send('pipeline', c)];
      for (const [label, answer] of [
        ['second', second],
        ['pipeline', pipeline[0]],
        ['pipeline again', pipeline[1]],
      ] as const)
        if (JSON.stringify(answer) !== JSON.stringify(first))
          mismatches.push(`${c.name} (${label}): ${JSON.stringify(answer)} != ${JSON.stringify(first)}`);
      if (first.status >= 500) mismatches.push(`${c.name}: HTTP ${first.status}`);
      if (byLane !== (c.direct ? 1 : 0)) mismatches.push(`${c.name}: served by the lane ${byLane} time(s)`);
    }
    expect(mismatches).toEqual([]);
  });

  it('leaves the same request metrics as Apollo Server', async () => {
    const requestLines = async (gateway: string) =>
      (await (await fetch(stack.adminUrl(gateway, '/metrics'))).text())
        .split('\n')
        .filter((l) => /^(http_server_request_duration_seconds_count|graphql_errors_total)\{/.test(l))
        .sort();
    const [direct, pipeline] = await Promise.all([requestLines('direct'), requestLines('pipeline')]);
    expect(direct.filter((l) => l.startsWith('graphql_errors')).length).toBeGreaterThan(3);
    expect(direct).toEqual(pipeline);
  });

  it('charges an API token once per request, whoever answers it', async () => {
    // The lane creates the context (and charges the token's rate limit), then leaves the request to Apollo Server
    // (the scopes refuse it), which must reuse that context rather than charge again.
    const tokens = await Promise.all(
      ['direct', 'pipeline'].map(async (name) => {
        const created = await gatewayRequest<{ createApiToken: { token: string } }>(
          stack.url('setup'),
          alice.token,
          'mutation($n: String!) { createApiToken(name: $n, scopes: [CHATS_READ]) { token } }',
          { n: `limit ${name}` },
        );
        return created.data!.createApiToken.token;
      }),
    );
    const refusedAt = async (gateway: string, token: string) => {
      const c: Case = {
        name: 'beyond its scopes, counted',
        as: 'anonymous',
        headers: { ...JSON_TYPE, authorization: `Bearer ${token}` },
        body: { query: q('counted', 'mutation { updateProfile(displayName: "Alice") { id } }') },
        direct: false,
      };
      const statuses: number[] = [];
      for (let i = 0; i < API_TOKEN_LIMIT + 2; i++) statuses.push((await send(gateway, c)).status);
      return statuses;
    };
    const direct = await refusedAt('direct', tokens[0]!);
    const pipeline = await refusedAt('pipeline', tokens[1]!);
    expect(direct).toEqual([...Array<number>(API_TOKEN_LIMIT).fill(403), 429, 429]);
    expect(pipeline).toEqual(direct);
  });

  it('answers as Apollo Server does when a subgraph is down (its fields null, SERVICE_UNAVAILABLE)', async () => {
    await stack.stop(ProcessStack.replicaName('presence', 0));
    const c: Case = {
      name: 'presence down',
      as: 'alice',
      body: {
        query: q('down', 'query($c: ID!) { chat(id: $c) { id members { user { id presence { status } } } } }'),
        variables: { c: chatId },
      },
      direct: true,
    };
    const first = await send('direct', c);
    const before = await served();
    const second = await send('direct', c);
    expect((await served()) - before).toBe(1);
    expect(first.body).toContain('SERVICE_UNAVAILABLE');
    expect(second).toEqual(first);
    expect(await send('pipeline', c)).toEqual(first);
  });
});
