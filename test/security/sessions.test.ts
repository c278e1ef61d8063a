/**
 * End-to-end sessions: three subgraph processes and two gateway processes on a Redis of the test's own. What a
 * client notices: refresh tokens rotate through any gateway; a reused one ends its session; logging out, logging out
 * everywhere and deleting the account stop the access tokens on every gateway although they are stateless JWTs (HTTP
 * refused, open live connections closed with 4410), also on a gateway started later and across a Redis restart.
 */
import { LiveCloseCodes } from '@chatgraph/errors';
import {
  createTestDatabases,
  gatewayRequest,
  liveClient,
  ProcessStack,
  RedisServer,
  subscribe,
  testConfig,
  waitUntil,
  type GraphQLResponse,
  type TestDatabases,
} from '@chatgraph/testing';

const PASSWORD = 'correct horse battery';
const SESSION = 'token refreshToken user { id username }';
const EVENTS = 'subscription($c: ID!, $a: Int) { chatEvents(chatId: $c, afterSeq: $a) { seq message { text } } }';
type Events = { chatEvents: { seq: number; message: { text: string } | null } };

interface Session {
  token: string;
  refreshToken: string;
  user: { id: string; username: string };
}

describe('sessions end to end, through two gateways', () => {
  let redis: RedisServer;
  let dbs: TestDatabases;
  let stack: ProcessStack;
  let counter = 0;
  const A = () => stack.url('gatewayA');
  const B = () => stack.url('gatewayB');

  beforeAll(async () => {
    redis = await RedisServer.start();
    const config = testConfig({ REDIS_URL: redis.url, USERS_SHARDS: '2', CHATS_SHARDS: '1' });
    dbs = await createTestDatabases(config);
    // No grace period: a retired refresh token presented again is reuse at once.
    stack = new ProcessStack(ProcessStack.envFor(config, { REFRESH_REUSE_GRACE_SECONDS: '0' }));
    await stack.startSubgraphs();
    await Promise.all([stack.start('gatewayA', 'gateway'), stack.start('gatewayB', 'gateway')]);
  }, 120_000);

  afterAll(async () => {
    await stack?.close();
    await dbs?.drop();
    await redis?.close();
  });

  const field = async <T>(res: Promise<GraphQLResponse<Record<string, T>>>, name: string): Promise<T> => {
    const { data, errors } = await res;
    if (!data?.[name]) throw new Error(`${name} failed: ${JSON.stringify(errors)}`);
    return data[name];
  };
  const signUp = (): Promise<Session> =>
    field(
      gatewayRequest(
        A(),
        null,
        `mutation($u: String!, $p: String!) { signUp(username: $u, password: $p, displayName: "Sam") { ${SESSION} } }`,
        {
          u: `e2e_${process.pid}_${counter++}`,
          p: PASSWORD,
        },
      ),
      'signUp',
    );
  const logIn = (username: string, via = A()) =>
    gatewayRequest<{ logIn: Session }>(
      via,
      null,
      `mutation($u: String!, $p: String!) { logIn(username: $u, password: $p) { ${SESSION} } }`,
      { u: username, p: PASSWORD },
    );
  const refresh = (refreshToken: string, via = A()) =>
    gatewayRequest<{ refreshSession: Session }>(
      via,
      null,
      `mutation($r: String!) { refreshSession(refreshToken: $r) { ${SESSION} } }`,
      { r: refreshToken },
    );
  const me = (token: string, via: string) => gatewayRequest<{ me: { id: string } }>(via, token, '{ me { id } }');
  /** True when the gateway refuses the token as revoked (HTTP 401, UNAUTHENTICATED). */
  const refused = async (token: string, via: string) => {
    const res = await me(token, via);
    return res.status === 401 && res.errors?.[0]?.extensions?.reason === 'revoked';
  };
  const refusedEverywhere = (what: string, ...tokens: string[]) =>
    waitUntil(`${what}: refused on both gateways`, async () => {
      const checks = await Promise.all(tokens.flatMap((t) => [refused(t, A()), refused(t, B())]));
      return checks.every(Boolean);
    });
  const acceptedEverywhere = async (token: string) => {
    for (const via of [A(), B()]) expect((await me(token, via)).errors).toBeUndefined();
  };
  const reasonOf = (res: GraphQLResponse) => res.errors?.[0]?.extensions?.reason;
  /** A chat of `owner` with `member`, and a live connection of `holder` on `wsUrl` following its events. */
  const chatWith = async (owner: Session, member: Session) =>
    (
      await field(
        gatewayRequest<{ createGroupChat: { id: string } }>(
          A(),
          owner.token,
          'mutation($m: [ID!]!) { createGroupChat(title: "sessions", memberIds: $m) { id } }',
          { m: [member.user.id] },
        ),
        'createGroupChat',
      )
    ).id;
  const follow = (wsUrl: string, token: string, chatId: string) => {
    let closed: { code: number; reason: string } | undefined;
    const client = liveClient(wsUrl, token, (code, reason) => (closed = { code, reason }));
    const sub = subscribe<Events>(client, EVENTS, { c: chatId, a: 0 });
    return { client, sub, closed: () => closed };
  };
  const send = async (token: string, chatId: string, text: string): Promise<number> => {
    const sent = await field(
      gatewayRequest<{ sendMessage: { seq: number } }>(
        B(),
        token,
        'mutation($c: ID!, $t: String!, $m: String!) { sendMessage(chatId: $c, text: $t, clientMessageId: $m) { seq } }',
        { c: chatId, t: text, m: `${text}-${counter++}` },
      ),
      'sendMessage',
    );
    return sent.seq;
  };

  it('rotates refresh tokens through any gateway; a reused one ends the session and every token of it', async () => {
    const first = await signUp();
    const second = await field(refresh(first.refreshToken, B()), 'refreshSession');
    expect(second.refreshToken).not.toBe(first.refreshToken);
    await acceptedEverywhere(second.token);

    // Someone presents the retired token (a stolen copy, or the victim after the thief refreshed).
    expect(reasonOf(await refresh(first.refreshToken, A()))).toBe('refresh_token_reused');
    await refusedEverywhere('both access tokens of the session', first.token, second.token);
    expect(reasonOf(await refresh(second.refreshToken, B()))).toBe('session_revoked');
  });

  it('logOut stops that session at once on both gateways: HTTP refused, live connections closed with 4410', async () => {
    const sam = await signUp();
    const friend = await signUp();
    const chatId = await chatWith(friend, sam);
    const laptop = await field(logIn(sam.user.username, B()), 'logIn');
    const phoneLive = follow(stack.wsUrl('gatewayB'), sam.token, chatId);
    const laptopLive = follow(stack.wsUrl('gatewayA'), laptop.token, chatId);
    const seq = await send(friend.token, chatId, 'before');
    await phoneLive.sub.waitFor((r) => r.some((x) => x.data?.chatEvents.seq === seq));
    await laptopLive.sub.waitFor((r) => r.some((x) => x.data?.chatEvents.seq === seq));

    expect(await field(gatewayRequest(A(), sam.token, 'mutation { logOut }'), 'logOut')).toBe(true);
    await refusedEverywhere('the logged-out token', sam.token);
    await waitUntil('the phone connection closes', () => phoneLive.closed() !== undefined);
    expect(phoneLive.closed()).toEqual({ code: LiveCloseCodes.SessionRevoked.code, reason: 'Session revoked' });
    expect(reasonOf(await refresh(sam.refreshToken))).toBe('session_revoked');

    // The laptop's session is another one: it goes on, live connection included.
    await acceptedEverywhere(laptop.token);
    const after = await send(friend.token, chatId, 'after');
    await laptopLive.sub.waitFor((r) => r.some((x) => x.data?.chatEvents.seq === after));
    expect(laptopLive.closed()).toBeUndefined();

    // Connecting again with the revoked token is refused.
    const again = follow(stack.wsUrl('gatewayA'), sam.token, chatId);
    await waitUntil('the revoked token is refused at connect', () => again.closed() !== undefined);
    expect(again.closed()).toEqual({ code: 4401, reason: 'Unauthorized: revoked token' });
    await Promise.all([phoneLive, laptopLive, again].map((l) => l.client.dispose()));
  });

  it('logOutEverywhere ends every session on every gateway; signing in again works at once', async () => {
    const sam = await signUp();
    const friend = await signUp();
    const chatId = await chatWith(friend, sam);
    const other = await field(logIn(sam.user.username, B()), 'logIn');
    const live = [
      follow(stack.wsUrl('gatewayA'), sam.token, chatId),
      follow(stack.wsUrl('gatewayB'), other.token, chatId),
    ];
    const seq = await send(friend.token, chatId, 'hello');
    for (const l of live) await l.sub.waitFor((r) => r.some((x) => x.data?.chatEvents.seq === seq));

    expect(await field(gatewayRequest(B(), other.token, 'mutation { logOutEverywhere }'), 'logOutEverywhere')).toBe(
      true,
    );
    await refusedEverywhere('every token of the user', sam.token, other.token);
    await waitUntil('both live connections close', () => live.every((l) => l.closed() !== undefined));
    for (const l of live) expect(l.closed()!.code).toBe(LiveCloseCodes.SessionRevoked.code);
    for (const { refreshToken } of [sam, other]) expect(reasonOf(await refresh(refreshToken))).toBe('session_revoked');

    const fresh = await field(logIn(sam.user.username), 'logIn');
    await acceptedEverywhere(fresh.token);
    await Promise.all(live.map((l) => l.client.dispose()));
  });

  it('deleteAccount ends every session; messages keep their author, shown as "Deleted user"', async () => {
    const sam = await signUp();
    const friend = await signUp();
    const chatId = await chatWith(friend, sam);
    await send(sam.token, chatId, 'goodbye');
    const wrong = await gatewayRequest(A(), sam.token, 'mutation { deleteAccount(password: "not it") }');
    expect(wrong.errors?.[0]?.extensions?.code).toBe('INVALID_CREDENTIALS');
    await acceptedEverywhere(sam.token);

    const deleted = gatewayRequest(A(), sam.token, 'mutation($p: String!) { deleteAccount(password: $p) }', {
      p: PASSWORD,
    });
    expect(await field(deleted, 'deleteAccount')).toBe(true);
    await refusedEverywhere("the deleted account's token", sam.token);
    expect(reasonOf(await refresh(sam.refreshToken))).toBe('session_revoked');
    expect((await logIn(sam.user.username)).errors?.[0]?.extensions?.code).toBe('INVALID_CREDENTIALS');
    const history = await gatewayRequest<{
      chat: { messages: { nodes: Array<{ text: string; author: { id: string; displayName: string } }> } };
    }>(A(), friend.token, 'query($c: ID!) { chat(id: $c) { messages { nodes { text author { id displayName } } } } }', {
      c: chatId,
    });
    expect(history.data!.chat.messages.nodes).toEqual([
      { text: 'goodbye', author: { id: sam.user.id, displayName: 'Deleted user' } },
    ]);
  });

  it('a gateway started later refuses revoked tokens from its first request (it loads them from Redis)', async () => {
    const sam = await signUp();
    await field(gatewayRequest(A(), sam.token, 'mutation { logOut }'), 'logOut');
    await stack.start('gatewayC', 'gateway');
    try {
      expect(await refused(sam.token, stack.url('gatewayC'))).toBe(true);
    } finally {
      await stack.stop('gatewayC');
    }
  });

  it('across a Redis restart the gateways keep refusing what they knew, and learn what is revoked afterwards', async () => {
    const before = await signUp();
    const after = await signUp();
    await field(gatewayRequest(A(), before.token, 'mutation { logOut }'), 'logOut');
    await refusedEverywhere('the token logged out before the restart', before.token);

    await redis.restart(); // empty: the restarted Redis no longer has the revocation
    await waitUntil('logOut works again (the users service reconnected)', async () => {
      const res = await gatewayRequest(B(), after.token, 'mutation { logOut }');
      return res.data?.logOut === true;
    });
    await refusedEverywhere('the token logged out after the restart', after.token);
    for (const via of [A(), B()]) expect(await refused(before.token, via)).toBe(true);
  }, 60_000);
});
