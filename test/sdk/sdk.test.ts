/**
 * The SDK over the real stack: three subgraph processes, two gateway processes and a real HAProxy in front of them
 * (the deployed configuration), a Redis of the test's own and throwaway shard databases. What an app built on the SDK
 * would notice: two users converse; a gateway dies under one of them and the conversation goes on with no event
 * lost, repeated or reordered; a send whose answer was lost is not duplicated; token expiry and removal from a chat
 * are handled; `npm run demo` works against the stack and says so clearly when there is none.
 */
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { parse } from 'graphql';
import WebSocket from 'ws';
import { TokenService } from '@chatgraph/auth';
import {
  createTestDatabases,
  freePort,
  HaproxyProcess,
  haproxyInstalled,
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
  type ChatClientOptions,
  type ChatEvent,
  type FetchLike,
  type StreamStatus,
} from '../../client-sdk/src/index.ts';

if (!haproxyInstalled)
  console.warn('haproxy is not installed: the SDK stack tests are SKIPPED (apt-get install -y haproxy)');
const describeWithHaproxy = haproxyInstalled ? describe : describe.skip;

const repoRoot = path.resolve(__dirname, '..', '..');

interface Person {
  id: string;
  name: string;
  token: string;
  client: ChatClient;
}

/** A chat's live events as one app screen would follow them. */
interface Follower {
  events: ChatEvent[];
  statuses: StreamStatus[];
  seqs(): number[];
  close(): void;
  /** Rejects when the stream ended with an error. */
  ended: Promise<void>;
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describeWithHaproxy('the SDK over the real stack behind HAProxy', () => {
  let redis: RedisServer;
  let dbs: TestDatabases;
  let stack: ProcessStack;
  let config: ReturnType<typeof testConfig>;
  let proxy: HaproxyProcess;
  const gatewayPorts: Record<string, number> = {};
  /** A gateway's admin /stats (its admin port changes when it is restarted), or undefined while it is down. */
  const metricsOf = async <T>(name: string): Promise<T | undefined> => {
    const proc = stack.processes.get(name);
    if (!proc) return undefined;
    return fetch(`http://127.0.0.1:${proc.adminPort}/stats`).then(
      (r) => r.json() as Promise<T>,
      () => undefined,
    );
  };
  const clients: ChatClient[] = [];
  let counter = 0;

  /** An SDK client through HAProxy, with quick reconnects (a test waits for them). */
  const sdk = (getToken: ChatClientOptions['getToken'], extra: Partial<ChatClientOptions> = {}): ChatClient => {
    const client = createChatClient({
      url: proxy.url,
      wsUrl: proxy.wsUrl,
      getToken,
      webSocketImpl: WebSocket,
      reconnect: { initialMs: 50, maxMs: 500 },
      ...extra,
    });
    clients.push(client);
    return client;
  };

  const signUp = async (name: string): Promise<Person> => {
    const auth = await sdk(() => null).signUp({
      username: `s${process.pid}_${Date.now().toString(36)}_${counter++}`,
      password: 'correct horse battery',
      displayName: name,
    });
    const person = { id: auth.user.id, name, token: auth.token } as Person;
    person.client = sdk(() => person.token);
    return person;
  };

  const follow = (client: ChatClient, chatId: string, afterSeq?: number): Follower => {
    const events: ChatEvent[] = [];
    const statuses: StreamStatus[] = [];
    const stream = client.chat(chatId).events({ afterSeq, onStatus: (s) => statuses.push(s) });
    const ended = (async () => {
      for await (const event of stream) events.push(event);
    })();
    ended.catch(() => undefined);
    return { events, statuses, seqs: () => events.map((e) => e.seq), close: () => stream.close(), ended };
  };

  /** Which gateway process holds how many WebSockets (GET /stats). */
  const socketsPerGateway = async (): Promise<Record<string, number>> => {
    const entries = await Promise.all(
      Object.keys(gatewayPorts).map(async (name) => {
        const metrics = await metricsOf<{ connections: number }>(name);
        return [name, metrics?.connections ?? 0] as const;
      }),
    );
    return Object.fromEntries(entries);
  };

  /** Subscriptions attached (receiving events) on every gateway process together (GET /stats). */
  const liveSubscriptions = async (): Promise<number> => {
    const counts = await Promise.all(
      Object.keys(gatewayPorts).map(
        async (name) =>
          (await metricsOf<{ subscriptions: { liveSubscriptions: number } }>(name))?.subscriptions.liveSubscriptions ??
          0,
      ),
    );
    return counts.reduce((a, b) => a + b, 0);
  };

  beforeAll(async () => {
    // The demo runs the built SDK (dist/): make sure it is current.
    const build = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '--build', 'client-sdk'], {
      cwd: repoRoot,
      encoding: 'utf8',
    });
    if (build.status !== 0) throw new Error(`building the SDK failed:\n${build.stdout}${build.stderr}`);
    redis = await RedisServer.start();
    config = testConfig({ REDIS_URL: redis.url, USERS_SHARDS: '2', CHATS_SHARDS: '2' });
    dbs = await createTestDatabases(config);
    stack = new ProcessStack(ProcessStack.envFor(config));
    await stack.startSubgraphs();
    const [a, b] = await Promise.all([stack.start('gatewayA', 'gateway'), stack.start('gatewayB', 'gateway')]);
    gatewayPorts.gatewayA = a.port;
    gatewayPorts.gatewayB = b.port;
    proxy = await HaproxyProcess.start([a.port, b.port]);
  }, 120_000);

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });

  afterAll(async () => {
    await proxy?.close();
    await stack?.close();
    await dbs?.drop();
    await redis?.close();
  });

  it('two SDK clients converse: each sees every message once, in order, with its author, as it happens', async () => {
    const [alice, bob] = await Promise.all([signUp('Alice'), signUp('Bob')]);
    const chat = await alice.client.createDirectChat({ userId: bob.id });
    expect(chat.members.map((m) => m.user.displayName).sort()).toEqual(['Alice', 'Bob']);
    const seenByAlice = follow(alice.client, chat.id);
    const seenByBob = follow(bob.client, chat.id);
    await waitUntil(
      'both streams are live',
      () => seenByAlice.statuses.includes('live') && seenByBob.statuses.includes('live'),
    );

    const lines: Array<[Person, string]> = [
      [alice, 'Hi Bob!'],
      [bob, 'Hi Alice, got it live.'],
      [alice, 'Typed end to end.'],
      [bob, 'And in order.'],
    ];
    const sent = [];
    for (const [from, text] of lines) sent.push(await from.client.chat(chat.id).send(text));
    const expected = sent.map((m) => m.seq);
    expect(expected).toEqual(range(chat.lastSeq + 1, chat.lastSeq + 4));
    await waitUntil('both saw the conversation', () => seenByAlice.events.length >= 4 && seenByBob.events.length >= 4);

    for (const follower of [seenByAlice, seenByBob]) {
      expect(follower.seqs()).toEqual(expected);
      expect(follower.events.map((e) => [e.type, e.message?.author.displayName, e.message?.text])).toEqual(
        lines.map(([from, text]) => ['MESSAGE_ADDED', from.name, text]),
      );
      expect(follower.statuses).toEqual(['live']);
    }
    // History agrees with what arrived live.
    const page = await bob.client.chat(chat.id).messages();
    expect(page.nodes.map((m) => [m.seq, m.text])).toEqual(sent.map((m) => [m.seq, m.text]));
  });

  it('catches up from an older seq, then goes live', async () => {
    const [alice, bob] = await Promise.all([signUp('Alice'), signUp('Bob')]);
    const chat = await alice.client.createGroupChat({ title: 'backlog', memberIds: [bob.id] });
    for (let i = 0; i < 30; i++) await alice.client.chat(chat.id).send(`backlog ${i}`);
    const follower = follow(bob.client, chat.id, 0);
    await waitUntil('live', () => follower.statuses.includes('live'));
    const live = await alice.client.chat(chat.id).send('live one');
    await waitUntil('the live message', () => follower.seqs().includes(live.seq));
    expect(follower.seqs()).toEqual(range(1, live.seq));
    expect(follower.statuses).toEqual(['catching-up', 'live']);
  });

  it('a gateway killed under a client mid-conversation: the client resumes on the other one, nothing lost, repeated or reordered', async () => {
    const [alice, bob] = await Promise.all([signUp('Alice'), signUp('Bob')]);
    const chat = await alice.client.createDirectChat({ userId: bob.id });
    const seenByBob = follow(bob.client, chat.id);
    await waitUntil('Bob is live', () => seenByBob.statuses.includes('live'));
    // Once Bob's socket is the only one open (earlier tests' sockets may take a moment to close), the gateway holding
    // a socket is his.
    let victim = '';
    await waitUntil('Bob’s socket is found', async () => {
      const sockets = Object.entries(await socketsPerGateway());
      const open = sockets.filter(([, n]) => n > 0);
      victim = open.length === 1 && open[0]![1] === 1 ? open[0]![0] : '';
      return victim !== '';
    });
    const seenByAlice = follow(alice.client, chat.id);
    await waitUntil('Alice is live', () => seenByAlice.statuses.includes('live'));

    const sent: number[] = [];
    const say = async (from: Person, text: string) => sent.push((await from.client.chat(chat.id).send(text)).seq);
    for (let i = 0; i < 10; i++) await say(i % 2 ? bob : alice, `before ${i}`);
    await waitUntil('Bob saw the first part', () => seenByBob.events.length === 10);

    await stack.kill(victim);
    // The conversation goes on while Bob is reconnecting: these exist only in the log until he resumes.
    for (let i = 0; i < 20; i++) await say(i % 2 ? bob : alice, `during ${i}`);
    await waitUntil('Bob resumed', () => seenByBob.events.length >= 30 && seenByAlice.events.length >= 30);
    for (let i = 0; i < 5; i++) await say(i % 2 ? bob : alice, `after ${i}`);
    await waitUntil('both saw everything', () => seenByBob.events.length >= 35 && seenByAlice.events.length >= 35);

    expect(sent).toEqual(range(sent[0]!, sent[0]! + 34));
    expect(seenByBob.seqs()).toEqual(sent);
    expect(seenByAlice.seqs()).toEqual(sent);
    expect(seenByBob.events.map((e) => e.message!.text)).toEqual([
      ...range(0, 9).map((i) => `before ${i}`),
      ...range(0, 19).map((i) => `during ${i}`),
      ...range(0, 4).map((i) => `after ${i}`),
    ]);
    // Bob's stream noticed the loss and came back; it is live again on the surviving gateway.
    expect(seenByBob.statuses[0]).toBe('live');
    expect(seenByBob.statuses).toContain('reconnecting');
    expect(seenByBob.statuses[seenByBob.statuses.length - 1]).toBe('live');
    const survivor = Object.keys(gatewayPorts).find((name) => name !== victim)!;
    expect((await socketsPerGateway())[survivor]).toBeGreaterThanOrEqual(1);

    // Bring the killed gateway back on its port, for the tests after this one.
    await stack.start(victim, 'gateway', gatewayPorts[victim]);
  }, 90_000);

  it('a send whose response is lost is retried with the same clientMessageId and creates one message', async () => {
    const [alice, bob] = await Promise.all([signUp('Alice'), signUp('Bob')]);
    const chat = await alice.client.createDirectChat({ userId: bob.id });
    const seenByBob = follow(bob.client, chat.id);
    await waitUntil('Bob is live', () => seenByBob.statuses.includes('live'));

    // The first sendMessage reaches the server and is committed, but its response never reaches the app.
    let dropped = 0;
    const bodies: Array<{ operationName: string; variables: { clientMessageId?: string } }> = [];
    const lossy = sdk(() => alice.token, {
      fetch: async (input, init) => {
        const body = JSON.parse(String(init.body));
        bodies.push(body);
        const response = await fetch(input, init);
        if (body.operationName === 'SendMessage' && dropped === 0) {
          dropped++;
          await response.text();
          throw new TypeError('fetch failed: the connection was reset before the response arrived');
        }
        return response;
      },
      retry: { initialMs: 20 },
    });
    const message = await lossy.chat(chat.id).send('only once, please');

    const sends = bodies.filter((b) => b.operationName === 'SendMessage');
    expect(dropped).toBe(1);
    expect(sends).toHaveLength(2);
    expect(sends[1]!.variables.clientMessageId).toBe(sends[0]!.variables.clientMessageId);
    expect(message.clientMessageId).toBe(sends[0]!.variables.clientMessageId);

    const after = await alice.client.chat(chat.id).send('next');
    await waitUntil('Bob got both', () => seenByBob.seqs().includes(after.seq));
    expect(after.seq).toBe(message.seq + 1);
    const history = await bob.client.chat(chat.id).messages();
    expect(history.nodes.map((m) => m.text)).toEqual(['only once, please', 'next']);
    expect(seenByBob.events.map((e) => e.message!.text)).toEqual(['only once, please', 'next']);
  });

  it('asks getToken() again when the token expires on an open socket, and loses nothing meanwhile', async () => {
    const [alice, bob] = await Promise.all([signUp('Alice'), signUp('Bob')]);
    const chat = await alice.client.createDirectChat({ userId: bob.id });
    const shortLived = new TokenService({
      current: { id: config.JWT_KEY_ID, secret: config.JWT_SECRET },
      issuer: config.JWT_ISSUER,
      audience: config.JWT_AUDIENCE,
      ttlSeconds: 2,
    });
    let tokensIssued = 0;
    // Short-lived tokens of Bob's session, as an app managing tokens itself would get them.
    const { sessionId } = await shortLived.verify(bob.token);
    const bobClient = sdk(async () => {
      tokensIssued++;
      return (await shortLived.sign(bob.id, sessionId)).token;
    });
    const follower = follow(bobClient, chat.id);
    await waitUntil('live', () => follower.statuses.includes('live'));
    const sent: number[] = [];
    sent.push((await alice.client.chat(chat.id).send('before expiry')).seq);
    const issuedBefore = tokensIssued;
    // The gateway closes the socket with 4401 "Token expired" after 2 s; the SDK reconnects with a new token.
    await waitUntil(
      'the token expired and the stream came back',
      () => follower.statuses.includes('reconnecting') && follower.statuses.at(-1) === 'live',
      10_000,
    );
    expect(tokensIssued).toBeGreaterThan(issuedBefore);
    sent.push((await alice.client.chat(chat.id).send('after expiry')).seq);
    await waitUntil('the message after expiry', () => follower.seqs().includes(sent[1]!));
    expect(follower.seqs()).toEqual(sent);
  });

  it('ends the stream of a member removed from the chat with FORBIDDEN', async () => {
    const [alice, carol] = await Promise.all([signUp('Alice'), signUp('Carol')]);
    const chat = await alice.client.createGroupChat({ title: 'private', memberIds: [carol.id] });
    const follower = follow(carol.client, chat.id);
    await waitUntil('live', () => follower.statuses.includes('live'));
    await alice.client.removeMember({ chatId: chat.id, userId: carol.id });
    const error = await follower.ended.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ChatGraphError);
    expect((error as ChatGraphError).code).toBe('FORBIDDEN');
    expect(follower.statuses.at(-1)).toBe('closed');
    await expect(carol.client.chat(chat.id).send('still here?')).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });

  it('typing and presence helpers reach the other user', async () => {
    const [alice, bob] = await Promise.all([signUp('Alice'), signUp('Bob')]);
    const chat = await alice.client.createDirectChat({ userId: bob.id });
    // Streams of earlier tests are closed by now; counting starts from none.
    await waitUntil('no subscription of an earlier test is left', async () => (await liveSubscriptions()) === 0);
    const typing: Array<[string, boolean]> = [];
    const typingStream = bob.client.chat(chat.id).typing({ next: (e) => typing.push([e.user.displayName, e.typing]) });
    const presence: string[] = [];
    const presenceStream = bob.client.presenceChanged(
      { userIds: [alice.id] },
      { next: (e) => presence.push(`${e.user.displayName} ${e.status}`) },
    );
    await waitUntil('live', () => typingStream.status === 'live' && presenceStream.status === 'live');
    // `live` means the socket is up; the gateway attaches to the topic a moment later, and ephemeral events are not
    // replayed: wait until both subscriptions are attached.
    await waitUntil('both subscriptions are attached', async () => (await liveSubscriptions()) === 2);
    // Each keystroke calls setTyping(true); the throttle sends one request.
    const results = [];
    for (let i = 0; i < 5; i++) results.push(await alice.client.chat(chat.id).setTyping(true));
    expect(results).toEqual([true, false, false, false, false]);
    const heartbeat = alice.client.startHeartbeat();
    await waitUntil('typing and presence arrived', () => typing.length >= 1 && presence.length >= 1);
    expect(typing[0]).toEqual(['Alice', true]);
    expect(presence[0]).toBe('Alice ONLINE');
    await heartbeat.stop();
    expect((await alice.client.goOffline()).status).toBe('OFFLINE');
    await waitUntil('offline arrived', () => presence.includes('Alice OFFLINE'));
  });

  it('thread, reaction, pin, search, mute and block helpers', async () => {
    const [alice, bob] = await Promise.all([signUp('Alice'), signUp('Bob')]);
    const group = await alice.client.createGroupChat({ title: 'features', memberIds: [bob.id] });
    const question = await alice.client.sendMessage({ chatId: group.id, text: 'Who ships the zucchini release?' });
    const answer = await bob.client.sendMessage({ chatId: group.id, text: 'I do', replyToId: question.id });
    expect([answer.replyToId, answer.threadRootId]).toEqual([question.id, question.id]);
    const reacted = await alice.client.addReaction({ messageId: answer.id, emoji: '👍' });
    expect(reacted.reactions).toEqual([{ emoji: '👍', count: 1, viewerReacted: true }]);
    expect((await alice.client.removeReaction({ messageId: answer.id, emoji: '👍' })).reactions).toEqual([]);
    expect((await alice.client.pinMessage({ messageId: question.id })).pinned).toBe(true);
    expect((await bob.client.pinnedMessages({ chatId: group.id })).map((m) => m.id)).toEqual([question.id]);
    expect((await bob.client.threadReplies({ id: question.id })).nodes.map((m) => m.text)).toEqual(['I do']);
    expect((await bob.client.message({ id: question.id }))?.replyCount).toBe(1);
    expect((await bob.client.searchMessages({ query: 'zucchini' })).nodes.map((m) => m.id)).toEqual([question.id]);
    expect((await bob.client.muteChat({ chatId: group.id })).viewerMutedUntil).toBe('9999-12-31T23:59:59.999Z');
    expect((await bob.client.unmuteChat({ chatId: group.id })).viewerMutedUntil).toBeNull();

    expect(await alice.client.blockUser({ userId: bob.id })).toBe(true);
    expect((await alice.client.myBlockedUsers()).map((u) => u.id)).toEqual([bob.id]);
    const refused = await bob.client.createDirectChat({ userId: alice.id }).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(ChatGraphError);
    expect((refused as ChatGraphError).code).toBe('BLOCKED');
    expect(await alice.client.unblockUser({ userId: bob.id })).toBe(true);
  });

  it('`npm run demo` holds a live conversation through the stack and exits 0', async () => {
    const result = await runDemo(['--url', proxy.url]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Both are connected and live.');
    expect(result.stdout).toMatch(/#\d+\s+Alice\s+Hi Bob!/);
    expect(result.stdout).toMatch(/#\d+\s+Bob\s+Neat\. Talk soon!/);
    expect(result.stdout).toMatch(
      /Bob received events \d+, \d+, \d+, \d+, \d+, \d+ live; the history holds 6 messages/,
    );
    expect(result.stdout).toContain('Done.');
  }, 60_000);

  it('talks to a gateway that runs only trusted documents by sending hashes (persistedDocuments)', async () => {
    await stack.start('trusted', 'gateway', undefined, { TRUSTED_DOCUMENTS: 'require' });
    try {
      const bodies: Array<Record<string, unknown>> = [];
      const frames: Array<{ type: string; payload?: { query?: string; extensions?: unknown } }> = [];
      const recordingFetch: FetchLike = (input, init) => {
        bodies.push(JSON.parse(String(init.body)) as Record<string, unknown>);
        return fetch(input, init);
      };
      // Records what the SDK sends over the socket.
      class RecordingWebSocket extends WebSocket {
        override send(data: string | Buffer, ...rest: unknown[]): void {
          frames.push(JSON.parse(String(data)) as (typeof frames)[number]);
          Reflect.apply(WebSocket.prototype.send, this, [data, ...rest]);
        }
      }
      const trusted = (getToken: ChatClientOptions['getToken']) =>
        sdk(getToken, {
          url: stack.url('trusted'),
          wsUrl: stack.wsUrl('trusted'),
          persistedDocuments: true,
          fetch: recordingFetch,
          webSocketImpl: RecordingWebSocket,
        });
      const account = (name: string) =>
        trusted(() => null).signUp({
          username: `t${process.pid}_${Date.now().toString(36)}_${counter++}`,
          password: 'correct horse battery',
          displayName: name,
        });
      const [alice, bob] = await Promise.all([account('Alice'), account('Bob')]);
      const aliceClient = trusted(() => alice.token);
      const bobClient = trusted(() => bob.token);
      const chat = await aliceClient.createDirectChat({ userId: bob.user.id });
      const seen = follow(bobClient, chat.id);
      await waitUntil('the stream is live', () => seen.statuses.includes('live'));
      await aliceClient.sendMessage({ chatId: chat.id, text: 'sent by hash' });
      await waitUntil('bob receives the message', () => seen.events.length > 0);
      expect(seen.events[0]!.message?.text).toBe('sent by hash');
      seen.close();

      // Every request and subscription named its document by hash only.
      expect(bodies.length).toBeGreaterThan(3);
      for (const body of bodies) expect(body).toMatchObject({ extensions: { persistedQuery: { version: 1 } } });
      expect(bodies.filter((b) => 'query' in b)).toEqual([]);
      const subscribes = frames.filter((f) => f.type === 'subscribe');
      expect(subscribes.length).toBeGreaterThan(0);
      for (const f of subscribes) expect(f.payload).toMatchObject({ query: '', extensions: { persistedQuery: {} } });

      // A document of the app's own is not trusted: its hash is unknown, and sent in full it is refused.
      const own = await aliceClient.request(parse('query Own { me { id username } }'), {});
      expect(own.errors?.[0]?.extensions?.code).toBe('OPERATION_NOT_TRUSTED');
    } finally {
      await stack.stop('trusted');
    }
  }, 60_000);

  it('`npm run demo` without a stack says how to start one and exits non-zero', async () => {
    const port = await freePort();
    const result = await runDemo(['--url', `http://127.0.0.1:${port}/graphql`]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`No chatgraph gateway answers at http://127.0.0.1:${port}/graphql`);
    expect(result.stderr).toContain('npm start');
  });
});

function runDemo(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(repoRoot, 'client-sdk', 'scripts', 'demo.mjs'), ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += String(d)));
    child.stderr.on('data', (d) => (stderr += String(d)));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}
