/**
 * Bots and API tokens through two real gateways: a bot acts with a token within its scopes only (HTTP and WebSocket),
 * a revoked token stops at once on every gateway (its open subscription is closed with 4410), tokens are rate-limited
 * and record when they were last used, and only a person signed in with a password manages bots and tokens.
 */
import {
  createTestDatabases,
  gatewayRequest,
  liveClient,
  ProcessStack,
  signUp,
  subscribe,
  testConfig,
  waitUntil,
  type TestDatabases,
  type TestUser,
} from '@chatgraph/testing';
import { createBot, createToken, must, outcome, uniqueName } from './support/integrationCalls';

const TOKEN_RATE = 25;

describe('bots and API tokens', () => {
  let dbs: TestDatabases;
  let stack: ProcessStack;
  let a: string;
  let b: string;
  let owner: TestUser;
  let bot: { id: string; username: string };
  let chatId: string;
  let sent = 0;

  const send = (url: string, token: string, text: string, select = 'id author { id isBot }') =>
    gatewayRequest(
      url,
      token,
      `mutation($c: ID!, $t: String!, $m: String!) { sendMessage(chatId: $c, text: $t, clientMessageId: $m) { ${select} } }`,
      { c: chatId, t: text, m: `tok-${sent++}` },
    );

  beforeAll(async () => {
    const config = testConfig({ USERS_SHARDS: '2' });
    dbs = await createTestDatabases(config);
    stack = new ProcessStack(ProcessStack.envFor(config, { RATE_LIMIT_API_TOKEN: `${TOKEN_RATE}/1m` }));
    await stack.startSubgraphs();
    await stack.start('gateway-a', 'gateway');
    await stack.start('gateway-b', 'gateway');
    a = stack.url('gateway-a');
    b = stack.url('gateway-b');
    owner = await signUp(a, 'Owner');
    bot = await createBot(a, owner, uniqueName('echo'));
    const chat = await must<{ createGroupChat: { id: string } }>(
      a,
      owner.token,
      'mutation($m: [ID!]!) { createGroupChat(title: "bots", memberIds: $m) { id } }',
      { m: [bot.id] },
    );
    chatId = chat.createGroupChat.id;
  }, 120_000);

  afterAll(async () => {
    await stack?.close();
    await dbs?.drop();
  });

  it('makes bots that are shown as bots, belong to their owner and cannot sign in', async () => {
    const mine = await must<{ myBots: Array<{ id: string; isBot: boolean }> }>(
      a,
      owner.token,
      '{ myBots { id isBot } }',
    );
    expect(mine.myBots).toEqual([{ id: bot.id, isBot: true }]);
    const seen = await must<{ user: { isBot: boolean } }>(
      a,
      owner.token,
      'query($id: ID!) { user(id: $id) { isBot } }',
      {
        id: bot.id,
      },
    );
    expect(seen.user.isBot).toBe(true);
    expect((await must<{ me: { isBot: boolean } }>(a, owner.token, '{ me { isBot } }')).me.isBot).toBe(false);
    for (const password of ['', 'correct horse battery'])
      expect(
        outcome(
          await gatewayRequest(
            a,
            null,
            'mutation($u: String!, $p: String!) { logIn(username: $u, password: $p) { token } }',
            {
              u: bot.username,
              p: password || 'x',
            },
          ),
        ).code,
      ).toBe('INVALID_CREDENTIALS');
    const stranger = await signUp(a, 'Stranger');
    const res = await gatewayRequest(
      a,
      stranger.token,
      'mutation($b: ID!) { createApiToken(name: "x", scopes: [CHATS_READ], botId: $b) { token } }',
      { b: bot.id },
    );
    expect(outcome(res).code).toBe('FORBIDDEN');
  });

  it('lets a MESSAGES_WRITE-only bot send, but not read history or manage members', async () => {
    const { token } = await createToken(a, owner, ['MESSAGES_WRITE'], bot.id);
    expect(token).toMatch(/^cgt_\d+\.[A-Za-z0-9_-]{43}$/);
    const res = await send(a, token, 'hello from the bot');
    expect(res.errors).toBeUndefined();
    expect(res.data!.sendMessage.author).toEqual({ id: bot.id, isBot: true });

    const history = await gatewayRequest(a, token, 'query($c: ID!) { chat(id: $c) { messages { nodes { text } } } }', {
      c: chatId,
    });
    expect(outcome(history)).toMatchObject({ code: 'FORBIDDEN', requiredScope: 'CHATS_READ', status: 403 });
    const throughTheAnswer = await send(b, token, 'sneaky', 'id chat { messages(last: 5) { nodes { text } } }');
    expect(outcome(throughTheAnswer)).toMatchObject({ code: 'FORBIDDEN', requiredScope: 'CHATS_READ' });
    const stranger = await signUp(a, 'Newcomer');
    const add = await gatewayRequest(
      a,
      token,
      'mutation($c: ID!, $u: ID!) { addMembers(chatId: $c, userIds: [$u]) { id } }',
      {
        c: chatId,
        u: stranger.id,
      },
    );
    expect(outcome(add)).toMatchObject({ code: 'FORBIDDEN', requiredScope: 'CHATS_MANAGE' });
    // Tokens never manage tokens or bots, whatever their scopes.
    const mint = await gatewayRequest(
      a,
      token,
      'mutation { createApiToken(name: "more", scopes: [CHATS_READ]) { token } }',
    );
    expect(outcome(mint)).toMatchObject({ code: 'FORBIDDEN', requiredScope: null });

    // The owner sees the bot's message, from a bot.
    const seen = await must<{ chat: { messages: { nodes: Array<{ text: string; author: { isBot: boolean } }> } } }>(
      a,
      owner.token,
      'query($c: ID!) { chat(id: $c) { messages(last: 5) { nodes { text author { isBot } } } } }',
      { c: chatId },
    );
    expect(seen.chat.messages.nodes.map((m) => [m.text, m.author.isBot])).toEqual([['hello from the bot', true]]);

    // Over WebSocket: the chat's events need CHATS_READ.
    const client = liveClient(stack.wsUrl('gateway-b'), token);
    const sub = subscribe(client, 'subscription($c: ID!) { chatEvents(chatId: $c) { seq } }', { c: chatId });
    await waitUntil('the subscription is refused', () => sub.errors.length > 0 || sub.completed);
    expect(JSON.stringify(sub.errors)).toContain('"requiredScope":"CHATS_READ"');
    await client.dispose();
  });

  it('stops a revoked token at once on every gateway and closes its live connections with 4410', async () => {
    const { token, id } = await createToken(a, owner, ['CHATS_READ', 'MESSAGES_WRITE'], bot.id);
    const me = '{ me { id } }';
    for (const url of [a, b]) expect(outcome(await gatewayRequest(url, token, me)).code).toBe('ok');
    let closed: { code: number; reason: string } | undefined;
    const client = liveClient(stack.wsUrl('gateway-b'), token, (code, reason) => (closed = { code, reason }));
    const events = subscribe<{ chatEvents: { seq: number } }>(
      client,
      'subscription($c: ID!) { chatEvents(chatId: $c) { seq } }',
      { c: chatId },
    );
    await waitUntil('the bot receives live events', async () => {
      await send(a, owner.token, 'ping');
      return events.results.length > 0;
    });

    expect((await must(a, owner.token, 'mutation($id: ID!) { revokeApiToken(id: $id) }', { id })).revokeApiToken).toBe(
      true,
    );
    for (const url of [a, b])
      expect(outcome(await gatewayRequest(url, token, me))).toMatchObject({
        code: 'UNAUTHENTICATED',
        reason: 'revoked',
        status: 401,
      });
    await waitUntil('the live connection is closed', () => closed !== undefined);
    expect(closed).toEqual({ code: 4410, reason: 'API token revoked' });
    // Repeating is fine; someone else's token is not found.
    expect((await must(b, owner.token, 'mutation($id: ID!) { revokeApiToken(id: $id) }', { id })).revokeApiToken).toBe(
      true,
    );
    const other = await signUp(a, 'Other');
    const res = await gatewayRequest(a, other.token, 'mutation($id: ID!) { revokeApiToken(id: $id) }', { id });
    expect(outcome(res).code).toBe('NOT_FOUND');
    const list = await must<{ myApiTokens: Array<{ id: string }> }>(a, owner.token, '{ myApiTokens { id } }');
    expect(list.myApiTokens.map((t) => t.id)).not.toContain(id);
    await client.dispose();
  });

  it('lists tokens with what they act as and when they were last used, and refuses unknown ones', async () => {
    const { token, id } = await createToken(a, owner, ['PROFILE_WRITE']);
    const before = await must<{ myApiTokens: Array<{ id: string; lastUsedAt: string | null; user: { id: string } }> }>(
      a,
      owner.token,
      '{ myApiTokens { id name scopes lastUsedAt expiresAt user { id } } }',
    );
    expect(before.myApiTokens.find((t) => t.id === id)).toMatchObject({ lastUsedAt: null, user: { id: owner.id } });
    await must(b, token, 'mutation { updateProfile(displayName: "Renamed by token") { id } }');
    const after = await must<{ myApiTokens: Array<{ id: string; lastUsedAt: string | null }> }>(
      a,
      owner.token,
      '{ myApiTokens { id lastUsedAt } }',
    );
    expect(after.myApiTokens.find((t) => t.id === id)!.lastUsedAt).not.toBeNull();
    const forged = `cgt_${id}.${'A'.repeat(43)}`;
    for (const bad of [forged, 'cgt_nonsense'])
      expect(outcome(await gatewayRequest(a, bad, '{ me { id } }'))).toMatchObject({
        code: 'UNAUTHENTICATED',
        reason: 'unknown_api_token',
        status: 401,
      });
  });

  it('limits the requests of each token', async () => {
    const { token } = await createToken(a, owner, ['CHATS_READ']);
    const codes: string[] = [];
    for (let i = 0; i <= TOKEN_RATE; i++)
      codes.push(outcome(await gatewayRequest(i % 2 ? a : b, token, '{ me { id } }')).code);
    expect(codes.slice(0, TOKEN_RATE).every((c) => c === 'ok')).toBe(true);
    const refused = outcome(await gatewayRequest(a, token, '{ me { id } }'));
    expect(refused).toMatchObject({ code: 'RATE_LIMITED', status: 429 });
    expect(refused.retryAfterMs).toBeGreaterThan(0);
    // Another token of the same user has its own budget.
    const fresh = await createToken(a, owner, ['CHATS_READ']);
    expect(outcome(await gatewayRequest(a, fresh.token, '{ me { id } }')).code).toBe('ok');
  });
});
