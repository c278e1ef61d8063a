/**
 * The SDK's sessions over the real stack (three subgraph processes, two gateway processes, a Redis of the test's own)
 * with access tokens that live 2 seconds: what an app notices is that nothing happens. Requests keep working and a
 * live stream keeps delivering every event once and in order while the tokens are refreshed under it; and when the
 * session is ended from another device, the stream ends with UNAUTHENTICATED and the client is signed out.
 */
import WebSocket from 'ws';
import {
  createTestDatabases,
  ProcessStack,
  RedisServer,
  testConfig,
  waitUntil,
  type TestDatabases,
} from '@chatgraph/testing';
import {
  ChatGraphError,
  createChatClient,
  type ChatClient,
  type ChatEvent,
  type Session,
  type StreamStatus,
} from '../../client-sdk/src/index.ts';

interface Device {
  client: ChatClient;
  /** Every session `onSession` was told of, null for "signed out". */
  sessions: Array<Session | null>;
}

describe('SDK sessions over the real stack, with 2-second access tokens', () => {
  let redis: RedisServer;
  let dbs: TestDatabases;
  let stack: ProcessStack;
  const clients: ChatClient[] = [];
  let counter = 0;

  beforeAll(async () => {
    redis = await RedisServer.start();
    const config = testConfig({ REDIS_URL: redis.url, USERS_SHARDS: '1', CHATS_SHARDS: '1' });
    dbs = await createTestDatabases(config);
    stack = new ProcessStack(ProcessStack.envFor(config, { JWT_TTL_SECONDS: '2' }));
    await stack.startSubgraphs();
    await Promise.all([stack.start('gatewayA', 'gateway'), stack.start('gatewayB', 'gateway')]);
  }, 120_000);

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });

  afterAll(async () => {
    await stack?.close();
    await dbs?.drop();
    await redis?.close();
  });

  /** A client managing its session, on one of the gateways. */
  const device = (gateway: 'gatewayA' | 'gatewayB'): Device => {
    const sessions: Array<Session | null> = [];
    const client = createChatClient({
      url: stack.url(gateway),
      webSocketImpl: WebSocket,
      reconnect: { initialMs: 50, maxMs: 500 },
      session: { onSession: (s) => sessions.push(s) },
    });
    clients.push(client);
    return { client, sessions };
  };
  const signUp = async (gateway: 'gatewayA' | 'gatewayB', name: string): Promise<Device & { id: string }> => {
    const d = device(gateway);
    const auth = await d.client.signUp({
      username: `sdk_${process.pid}_${counter++}`,
      password: 'correct horse battery',
      displayName: name,
    });
    return { ...d, id: auth.user.id };
  };
  const follow = (client: ChatClient, chatId: string) => {
    const events: ChatEvent[] = [];
    const statuses: StreamStatus[] = [];
    let failure: ChatGraphError | undefined;
    client.chat(chatId).subscribe({
      next: (e) => events.push(e),
      status: (s) => statuses.push(s),
      error: (e) => (failure = e),
    });
    return { events, statuses, failure: () => failure };
  };

  it('keeps working, and a live stream keeps delivering in order, while the tokens are refreshed under it', async () => {
    const alice = await signUp('gatewayA', 'Alice');
    const bob = await signUp('gatewayB', 'Bob');
    const chat = await alice.client.createDirectChat({ userId: bob.id });
    const seen = follow(bob.client, chat.id);
    await waitUntil('live', () => seen.statuses.includes('live'));

    const sent: number[] = [];
    // Each round lasts until Bob's session was refreshed again (his socket outlives no token: the gateway closes it
    // when the token expires, and the SDK comes back with a new one).
    for (let round = 0; round < 4; round++) {
      const refreshes = bob.sessions.length;
      sent.push((await alice.client.chat(chat.id).send(`round ${round}`)).seq);
      await waitUntil(`Bob's session is refreshed (round ${round})`, () => bob.sessions.length > refreshes, 15_000);
    }
    sent.push((await alice.client.chat(chat.id).send('last')).seq);
    await waitUntil('Bob got every message', () => seen.events.length >= sent.length, 15_000);

    expect(seen.events.map((e) => e.seq)).toEqual(sent);
    expect(seen.events.map((e) => e.message?.text)).toEqual(['round 0', 'round 1', 'round 2', 'round 3', 'last']);
    expect(seen.failure()).toBeUndefined();
    expect(seen.statuses).toContain('reconnecting'); // the sockets did close with their tokens
    expect(seen.statuses).not.toContain('closed');
    // Every refresh gave a new refresh token, and neither client was ever signed out.
    for (const { sessions } of [alice, bob]) {
      expect(sessions).not.toContain(null);
      expect(new Set(sessions.map((s) => s!.refreshToken)).size).toBe(sessions.length);
    }
    expect(alice.sessions.length).toBeGreaterThan(1);
    expect(alice.client.signedIn && bob.client.signedIn).toBe(true);
  });

  it('when another device logs out everywhere, the stream ends with UNAUTHENTICATED and the client is signed out', async () => {
    const carol = await signUp('gatewayA', 'Carol');
    const friend = await signUp('gatewayB', 'Friend');
    const chat = await friend.client.createDirectChat({ userId: carol.id });
    const seen = follow(carol.client, chat.id);
    await waitUntil('live', () => seen.statuses.includes('live'));

    const other = device('gatewayB');
    const username = (await carol.client.me())!.username;
    await other.client.logIn({ username, password: 'correct horse battery' });
    expect(await other.client.logOutEverywhere()).toBe(true);
    expect(other.client.signedIn).toBe(false);

    await waitUntil('the stream ends', () => seen.failure() !== undefined, 15_000);
    expect(seen.failure()!.code).toBe('UNAUTHENTICATED');
    expect(seen.statuses.at(-1)).toBe('closed');
    expect(carol.sessions.at(-1)).toBeNull();
    expect(carol.client.signedIn).toBe(false);
    await expect(carol.client.chat(chat.id).send('still here?')).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });
});
