/**
 * One gateway in-process (to read its engine counters) over real subgraph processes, Postgres and Redis: grouping,
 * revocation, limits, schema reload, protocol abuse and the HTTP surface.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { identitySignerFromConfig, tokenServiceFromConfig } from '@chatgraph/auth';
import { createLogger } from '@chatgraph/logging';
import {
  createTestDatabases,
  gatewayRequest,
  liveClient,
  ProcessStack,
  signUp,
  waitUntil,
  subscribe,
  testConfig,
  type TestDatabases,
  type TestUser,
} from '@chatgraph/testing';
import { createGatewayServer, type GatewayServer } from '../src/server';
import { SupergraphSource, DEFAULT_SUPERGRAPH_PATH } from '../src/supergraph/SupergraphSource';

const EVENTS =
  'subscription($c: ID!, $a: Int) { chatEvents(chatId: $c, afterSeq: $a) { seq message { text author { displayName } } } }';
type Events = { chatEvents: { seq: number; message: { text: string } | null } };

describe('gateway server', () => {
  let dbs: TestDatabases;
  let stack: ProcessStack;
  let gateway: GatewayServer;
  let url: string;
  let wsUrl: string;
  let supergraphFile: string;
  let owner: TestUser;
  let members: TestUser[];
  let chatId: string;
  let sent = 0;
  const config = testConfig({ SUBSCRIPTIONS_PER_CONNECTION: '3', INTROSPECTION: 'false' });

  const send = async (user: TestUser, text: string) => {
    const res = await gatewayRequest<{ sendMessage: { seq: number } }>(
      url,
      user.token,
      'mutation($c: ID!, $t: String!, $m: String!) { sendMessage(chatId: $c, text: $t, clientMessageId: $m) { seq } }',
      { c: chatId, t: text, m: `m${sent++}` },
    );
    if (!res.data) throw new Error(JSON.stringify(res.errors));
    return res.data.sendMessage.seq;
  };
  const lastSeq = async () =>
    (
      await gatewayRequest<{ chat: { lastSeq: number } }>(
        url,
        owner.token,
        'query($c: ID!) { chat(id: $c) { lastSeq } }',
        {
          c: chatId,
        },
      )
    ).data!.chat.lastSeq;

  /** Resolves once `n` more subscriptions than `from` are authorized and attached (receiving events). */
  const attached = (from: number, n: number) =>
    waitUntil(`${n} more live subscriptions`, () => gateway.engine.stats().liveSubscriptions >= from + n);
  const live = () => gateway.engine.stats().liveSubscriptions;

  beforeAll(async () => {
    dbs = await createTestDatabases(config);
    stack = new ProcessStack(ProcessStack.envFor(config));
    await stack.startSubgraphs();
    // a private copy of the supergraph, with the subgraph URLs of this test, that the test can rewrite
    supergraphFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'chatgraph-sg-')), 'supergraph.graphql');
    fs.copyFileSync(DEFAULT_SUPERGRAPH_PATH, supergraphFile);
    const gatewayConfig = {
      ...config,
      USERS_URL: stack.url('users'),
      CHATS_URL: stack.url('chats'),
      PRESENCE_URL: stack.url('presence'),
    };
    const logger = createLogger('gateway-test', 'silent');
    gateway = createGatewayServer({
      config: gatewayConfig,
      logger,
      tokens: tokenServiceFromConfig(gatewayConfig),
      identity: identitySignerFromConfig(gatewayConfig),
      supergraph: new SupergraphSource({ path: supergraphFile, logger }),
    });
    url = await gateway.listen(0);
    wsUrl = url.replace('http://', 'ws://');
    owner = await signUp(url, 'Owner');
    members = await Promise.all([1, 2, 3, 4].map((i) => signUp(url, `Member ${i}`)));
    const created = await gatewayRequest<{ createGroupChat: { id: string } }>(
      url,
      owner.token,
      'mutation($m: [ID!]!) { createGroupChat(title: "g", memberIds: $m) { id } }',
      { m: members.map((m) => m.id) },
    );
    chatId = created.data!.createGroupChat.id;
  }, 120_000);

  // Each test disposes its clients; the next one starts counting from an empty gateway.
  afterEach(() =>
    waitUntil('every subscription of the test is gone', () => gateway.engine.stats().activeSubscriptions === 0),
  );

  afterAll(async () => {
    await gateway?.close();
    await stack?.close();
    await dbs?.drop();
  });

  it('runs each event once per group of identical subscriptions, and serves each subscriber its own copy', async () => {
    const after = await lastSeq();
    const from = live();
    const clients = members.map((m) => liveClient(wsUrl, m.token));
    const subs = clients.map((c) => subscribe<Events>(c, EVENTS, { c: chatId, a: after }));
    await attached(from, 4);
    const before = gateway.engine.stats();
    const seqs = [await send(owner, 'one'), await send(owner, 'two'), await send(owner, 'three')];
    for (const s of subs) {
      await s.waitFor((r) => r.length === 3);
      expect(s.results.map((r) => r.data!.chatEvents.seq)).toEqual(seqs);
    }
    const stats = gateway.engine.stats();
    // four subscribers, one group (the selection reads no viewer-dependent field), three events: three executions
    expect(stats.eventExecutions - before.eventExecutions).toBe(3);
    expect(stats.groups).toBe(1);
    expect(stats.liveSubscriptions).toBe(4);
    await Promise.all(clients.map((c) => c.dispose()));
  });

  it("ends a removed member's subscription with FORBIDDEN after delivering the removal", async () => {
    const victim = members[3]!;
    const from = live();
    const client = liveClient(wsUrl, victim.token);
    const sub = subscribe<Events>(
      client,
      'subscription($c: ID!, $a: Int) { chatEvents(chatId: $c, afterSeq: $a) { seq type } }',
      { c: chatId, a: await lastSeq() },
    );
    await attached(from, 1);
    const removed = await gatewayRequest(
      url,
      owner.token,
      'mutation($c: ID!, $u: ID!) { removeMember(chatId: $c, userId: $u) { id } }',
      { c: chatId, u: victim.id },
    );
    expect(removed.errors).toBeUndefined();
    await sub.waitFor(() => sub.errors.length > 0);
    expect(sub.results.map((r) => (r.data as unknown as { chatEvents: { type: string } }).chatEvents.type)).toEqual([
      'MEMBER_REMOVED',
    ]);
    expect(sub.errors).toEqual([
      [expect.objectContaining({ extensions: expect.objectContaining({ code: 'FORBIDDEN' }) })],
    ]);
    await client.dispose();
  });

  it("ends a removed member's typing subscription too (every chat-scoped live field is re-checked)", async () => {
    const victim = members[2]!;
    const from = live();
    const client = liveClient(wsUrl, victim.token);
    const typing = subscribe<{ typing: { typing: boolean } }>(
      client,
      'subscription($c: ID!) { typing(chatId: $c) { typing user { id } } }',
      { c: chatId },
    );
    await attached(from, 1);
    const removed = await gatewayRequest(
      url,
      owner.token,
      'mutation($c: ID!, $u: ID!) { removeMember(chatId: $c, userId: $u) { id } }',
      { c: chatId, u: victim.id },
    );
    expect(removed.errors).toBeUndefined();
    await typing.waitFor(() => typing.errors.length > 0);
    expect(typing.errors).toEqual([
      [expect.objectContaining({ extensions: expect.objectContaining({ code: 'FORBIDDEN' }) })],
    ]);
    expect(typing.results).toEqual([]);
    await client.dispose();
  });

  it('caps live subscriptions per connection with LIMIT_EXCEEDED', async () => {
    const client = liveClient(wsUrl, owner.token);
    const subs = [1, 2, 3, 4].map(() => subscribe<Events>(client, EVENTS, { c: chatId }));
    await subs[3]!.waitFor(() => subs[3]!.errors.length > 0);
    expect(subs[3]!.errors).toEqual([
      [expect.objectContaining({ extensions: expect.objectContaining({ code: 'LIMIT_EXCEEDED' }) })],
    ]);
    expect(subs.slice(0, 3).every((s) => s.errors.length === 0)).toBe(true);
    await client.dispose();
  });

  it('closes live subscriptions with SUBSCRIPTION_RESTART when the supergraph is reloaded', async () => {
    const from = live();
    const client = liveClient(wsUrl, owner.token);
    const sub = subscribe<Events>(client, EVENTS, { c: chatId, a: await lastSeq() });
    await attached(from, 1);
    fs.appendFileSync(supergraphFile, '\n');
    expect(gateway.supergraph.reload()).toBe(true);
    await sub.waitFor(() => sub.errors.length > 0);
    expect(sub.errors).toEqual([
      [expect.objectContaining({ extensions: expect.objectContaining({ code: 'SUBSCRIPTION_RESTART' }) })],
    ]);
    // the reloaded gateway keeps serving
    const afterReload = live();
    const again = subscribe<Events>(client, EVENTS, { c: chatId, a: await lastSeq() });
    await attached(afterReload, 1);
    const seq = await send(owner, 'after reload');
    await again.waitFor((r) => r.some((x) => x.data?.chatEvents.seq === seq));
    await client.dispose();
  });

  it("keeps each viewer's activity stream to themself", async () => {
    const [a, b] = [members[0]!, members[1]!];
    const direct = await gatewayRequest<{ createDirectChat: { id: string } }>(
      url,
      owner.token,
      'mutation($u: ID!) { createDirectChat(userId: $u) { id } }',
      { u: a.id },
    );
    const directId = direct.data!.createDirectChat.id;
    const ACTIVITY = 'subscription { myChatActivity { seq type chat { id } } }';
    const from = live();
    const clientA = liveClient(wsUrl, a.token);
    const clientB = liveClient(wsUrl, b.token);
    const subA = subscribe<{ myChatActivity: { chat: { id: string } } }>(clientA, ACTIVITY);
    const subB = subscribe<{ myChatActivity: { chat: { id: string } } }>(clientB, ACTIVITY);
    await attached(from, 2);
    await gatewayRequest(
      url,
      owner.token,
      'mutation($c: ID!) { sendMessage(chatId: $c, text: "just us", clientMessageId: "direct-1") { id } }',
      { c: directId },
    );
    await subA.waitFor((r) => r.some((x) => x.data?.myChatActivity.chat.id === directId));
    // b is not in the direct chat: a later event of the group chat b is in proves b's stream is live and clean
    await send(owner, 'for the group');
    await subB.waitFor((r) => r.some((x) => x.data?.myChatActivity.chat.id === chatId));
    expect(subB.results.some((x) => x.data?.myChatActivity.chat.id === directId)).toBe(false);
    await Promise.all([clientA.dispose(), clientB.dispose()]);
  });

  it('delivers texts with $ patterns verbatim in live frames', async () => {
    const from = live();
    const client = liveClient(wsUrl, owner.token);
    const sub = subscribe<Events>(client, EVENTS, { c: chatId, a: await lastSeq() });
    await attached(from, 1);
    const text = "it's $' and $& and $$ and $` and \\u0000";
    const seq = await send(owner, text);
    await sub.waitFor((r) => r.some((x) => x.data?.chatEvents.seq === seq));
    expect(sub.results.find((x) => x.data?.chatEvents.seq === seq)!.data!.chatEvents.message!.text).toBe(text);
    await client.dispose();
  });

  it('ends a subscription whose afterSeq is beyond the log with BAD_USER_INPUT', async () => {
    const client = liveClient(wsUrl, owner.token);
    const sub = subscribe<Events>(client, EVENTS, { c: chatId, a: (await lastSeq()) + 1000 });
    await sub.waitFor(() => sub.errors.length > 0);
    expect(sub.errors).toEqual([
      [expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }) })],
    ]);
    await client.dispose();
  });

  it('leaves no subscription behind when a client misuses the protocol (empty operationName) and disconnects', async () => {
    const baseline = gateway.engine.stats().activeSubscriptions;
    const raw = new WebSocket(wsUrl, 'graphql-transport-ws');
    await new Promise((r) => raw.on('open', r));
    const messages: Array<{ type: string; id?: string; payload?: unknown }> = [];
    raw.on('message', (d) => messages.push(JSON.parse(String(d))));
    raw.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${owner.token}` } }));
    await waitUntil('the connection is acknowledged', () => messages.length > 0);
    expect(messages[0]).toEqual({ type: 'connection_ack' });
    raw.send(
      JSON.stringify({
        id: '1',
        type: 'subscribe',
        payload: { query: EVENTS, operationName: '', variables: { c: chatId } },
      }),
    );
    await waitUntil('the subscription holds a slot', () => gateway.engine.stats().activeSubscriptions > baseline);
    raw.close();
    await waitUntil('the subscription is gone', () => gateway.engine.stats().activeSubscriptions === baseline);
  });

  it('closes a socket that sends garbage with 4400 and keeps serving others', async () => {
    const raw = new WebSocket(wsUrl, 'graphql-transport-ws');
    const closed = new Promise<number>((resolve) => raw.on('close', (code) => resolve(code)));
    await new Promise((r) => raw.on('open', r));
    raw.send('{not json');
    expect(await closed).toBe(4400);
    const other = new WebSocket(wsUrl, 'graphql-transport-ws');
    const closedOther = new Promise<number>((resolve) => other.on('close', (code) => resolve(code)));
    await new Promise((r) => other.on('open', r));
    other.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${owner.token}` } }));
    const ack = await new Promise<string>((resolve) => other.once('message', (d) => resolve(String(d))));
    expect(JSON.parse(ack)).toEqual({ type: 'connection_ack' });
    other.send(JSON.stringify({ type: 'whatever' }));
    expect(await closedOther).toBe(4400);
  });

  it('answers health, readiness, refuses CSRF-able requests, hides introspection and limits depth', async () => {
    const base = url.replace('/graphql', '');
    expect((await fetch(`${base}/health`)).status).toBe(200);
    expect((await fetch(`${base}/ready`)).status).toBe(200);
    const csrf = await fetch(`${url}?query=${encodeURIComponent('{ __typename }')}`);
    expect(csrf.status).toBe(400);
    const introspection = await gatewayRequest(url, owner.token, '{ __schema { types { name } } }');
    expect(introspection.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    const deep = await gatewayRequest(
      url,
      owner.token,
      `{ me { ${'chats { nodes { members { user { '.repeat(4)}id${' } } } }'.repeat(4)} } }`,
    );
    expect(deep.errors?.[0]).toMatchObject({
      message: expect.stringMatching(/levels deep; the limit is 12/),
      extensions: { code: 'QUERY_TOO_COMPLEX', depth: 18, maxDepth: 12 },
    });
    expect(deep.status).toBe(400);
    const badToken = await gatewayRequest(url, 'not-a-token', '{ me { id } }');
    expect(badToken.status).toBe(401);
    expect(badToken.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const badId = await gatewayRequest(url, owner.token, '{ chat(id: "abc") { id } }');
    expect(badId.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});
