/**
 * The notification pipeline end to end, on the machine's RabbitMQ (a prefix of the test's own): chat events become
 * notifications for the right people, exactly once; `notificationAdded` delivers them live and resumes by id; read
 * markers; a message that keeps failing ends in the dead-letter queue and the CLI replays it.
 */
import { gatewayRequest, liveClient, subgraphRequester, subscribe, waitUntil, type TestUser } from '@chatgraph/testing';
import { NOTIFICATION_FIELDS, NotificationStack, type SeenNotification } from './support/NotificationStack';

describe('notification pipeline', () => {
  let n: NotificationStack;
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;
  let dave: TestUser;
  const chats: Array<{ id: string; member: TestUser }> = [];

  beforeAll(async () => {
    n = await NotificationStack.start();
    [alice, bob, carol, dave] = await Promise.all(['Alice', 'Bob', 'Carol', 'Dave'].map((name) => n.signUp(name)));
  }, 120_000);

  afterAll(() => n?.close());

  /** Requests the gateway has sent to the chats service so far (its fetch histogram's count). */
  const chatsFetches = async () => {
    const text = await (await fetch(n.stack.adminUrl('gateway', '/metrics'))).text();
    return [...text.matchAll(/^http_client_request_duration_seconds_count\{[^}]*subgraph_name="chats"[^}]*\} (\d+)/gm)]
      .map((m) => Number(m[1]))
      .reduce((a, b) => a + b, 0);
  };

  const kinds = (list: SeenNotification[]) => list.map((x) => `${x.kind}:${x.chat?.id}:${x.actor.id}`);

  it('notifies the people a mention, a direct message and an add-to-chat concern, once, and never the actor', async () => {
    const group = await n.createGroup(alice, [bob, carol]);
    chats.push({ id: group, member: alice });
    // dave is not a member: naming him notifies nobody; bob is named twice and notified once.
    const mention = await n.send(
      alice,
      group,
      `hi @${bob.username} and @${dave.username}, @${bob.username.toUpperCase()}`,
    );
    await n.send(carol, group, 'no names here');
    const direct = await n.createDirect(alice, dave);
    chats.push({ id: direct, member: alice });
    const dm = await n.send(alice, direct, 'hello dave');

    await n.waitForIdle(await n.eventCount(chats));
    // Events are handled in parallel (a prefetch window), and an event whose recipients' checks answer later is added
    // in a later batch, so the inbox may hold one chat's notifications in either order: its order is the order they
    // were added. What matters here is who was notified of what, once.
    expect(kinds(await n.notificationsOf(bob)).sort()).toEqual([
      `ADDED_TO_CHAT:${group}:${alice.id}`,
      `MENTION:${group}:${alice.id}`,
    ]);
    expect(kinds(await n.notificationsOf(carol))).toEqual([`ADDED_TO_CHAT:${group}:${alice.id}`]);
    // Starting a direct chat adds the other person to it; then the message.
    expect(kinds(await n.notificationsOf(dave)).sort()).toEqual([
      `ADDED_TO_CHAT:${direct}:${alice.id}`,
      `DIRECT_MESSAGE:${direct}:${alice.id}`,
    ]);
    expect(await n.notificationsOf(alice)).toEqual([]);

    const bobs = await n.notificationsOf(bob);
    expect(bobs.map((x) => x.seq)).toEqual([1, 2]);
    expect(bobs[1]!.message).toEqual({ id: mention, text: expect.stringContaining('hi @') });
    expect(bobs[1]!.actor.username).toBe(alice.username);
    expect(bobs[0]!.message).toBeNull();
    expect((await n.notificationsOf(dave)).find((x) => x.kind === 'DIRECT_MESSAGE')!.message).toEqual({
      id: dm,
      text: 'hello dave',
    });
    expect(await n.unreadCount(bob)).toBe(2);
  });

  it('delivers notificationAdded live, and resumes after the last id received without loss or duplicates', async () => {
    const direct = await n.createDirect(carol, bob);
    chats.push({ id: direct, member: carol });
    await n.waitForIdle(await n.eventCount(chats));
    const client = liveClient(n.stack.wsUrl('gateway'), bob.token);
    const query = `subscription($after: ID) { notificationAdded(afterId: $after) { ${NOTIFICATION_FIELDS} } }`;
    type Added = { notificationAdded: SeenNotification };
    const first = subscribe<Added>(client, query);
    await waitUntil('the subscription is attached', async () => {
      await n.send(carol, direct, 'ping');
      return first.results.length > 0;
    });
    await first.waitFor((r) => r.length >= 1);
    const chatsFetchesBefore = await chatsFetches();
    for (let i = 0; i < 4; i++) await n.send(carol, direct, `live ${i}`);
    const liveTexts = (r: typeof first.results) => r.map((x) => x.data?.notificationAdded.message?.text);
    await first.waitFor((r) => ['live 0', 'live 1', 'live 2', 'live 3'].every((t) => liveTexts(r).includes(t)));
    // A reply to Bob's message and a reaction to it reach him too (REPLY: the reply; REACTION: his message).
    const bobsMessage = await n.send(bob, direct, 'bob writes');
    await n.send(carol, direct, 'a reply', bobsMessage);
    await n.react(carol, bobsMessage, '👍');
    const liveKinds = (r: typeof first.results) => r.map((x) => x.data?.notificationAdded.kind);
    await first.waitFor((r) => ['REPLY', 'REACTION'].every((k) => liveKinds(r).includes(k)));
    const reply = first.results.find((r) => r.data?.notificationAdded.kind === 'REPLY');
    const reaction = first.results.find((r) => r.data?.notificationAdded.kind === 'REACTION');
    expect(reply?.data?.notificationAdded.message?.text).toBe('a reply');
    expect(reaction?.data?.notificationAdded.message).toEqual({ id: bobsMessage, text: 'bob writes' });
    expect(first.results.every((r) => r.errors === undefined)).toBe(true);
    // A live notification carries its message: the gateway asked chats for the seven mutations and nothing else.
    expect((await chatsFetches()) - chatsFetchesBefore).toBe(7);
    first.unsubscribe();
    const received = first.results.map((r) => r.data!.notificationAdded);
    const seqs = received.map((x) => x.seq);
    expect(seqs).toEqual(seqs.map((_, i) => seqs[0]! + i));
    const last = received.at(-1)!;

    // Missed while away, then live again after resuming.
    for (let i = 0; i < 5; i++) await n.send(carol, direct, `missed ${i}`);
    const resumed = subscribe<Added>(client, query, { after: last.id });
    await resumed.waitFor((r) => r.length >= 5);
    for (let i = 0; i < 3; i++) await n.send(carol, direct, `after ${i}`);
    await resumed.waitFor((r) => r.length >= 8);
    // The five missed come first (replayed), then the live ones; within each, in the order they were added.
    const texts = resumed.results.map((r) => r.data!.notificationAdded.message!.text!);
    expect(texts.slice(0, 5).sort()).toEqual(['missed 0', 'missed 1', 'missed 2', 'missed 3', 'missed 4']);
    expect(texts.slice(5).sort()).toEqual(['after 0', 'after 1', 'after 2']);
    expect(resumed.results.map((r) => r.data!.notificationAdded.seq)).toEqual(
      Array.from({ length: 8 }, (_, i) => last.seq + 1 + i),
    );
    resumed.unsubscribe();

    // Someone else's notification is no resume point.
    const carols = await n.notificationsOf(carol);
    const refused = subscribe<Added>(client, query, { after: carols[0]!.id });
    await waitUntil('the subscription is refused', () => refused.errors.length > 0 || refused.completed);
    expect(JSON.stringify(refused.errors)).toContain('NOT_FOUND');
    await client.dispose();
  });

  it('a live notification to someone who left the direct chat carries no message, and they cannot read it', async () => {
    // A user of its own: the other tests read Dave's inbox, where this chat would show as one he cannot see.
    const erin = await n.signUp('Erin');
    const direct = await n.createDirect(carol, erin);
    chats.push({ id: direct, member: carol });
    const client = liveClient(n.stack.wsUrl('gateway'), erin.token);
    const query = `subscription { notificationAdded { ${NOTIFICATION_FIELDS} } }`;
    const live = subscribe<{ notificationAdded: SeenNotification }>(client, query);
    const pings: string[] = [];
    await waitUntil('the subscription is attached', async () => {
      pings.push(await n.send(carol, direct, 'before leaving'));
      return live.results.length > 0;
    });
    // Every ping was handled while Erin was a member (in her inbox, so what its live notification carries was decided)
    // before she leaves: a ping handled after it would be refused like the message below.
    await waitUntil('every ping is in her inbox', async () => {
      const notified = new Set((await n.notificationsOf(erin)).map((x) => x.message?.id));
      return pings.every((id) => notified.has(id));
    });
    const left = await gatewayRequest(n.gateway, erin.token, 'mutation($c: ID!) { leaveChat(chatId: $c) }', {
      c: direct,
    });
    expect(left.errors).toBeUndefined();
    const afterLeaving = await n.send(carol, direct, 'after leaving');
    // Its notification arrives (the rule notifies the other member of a direct chat) without the message's text: the
    // gateway fetched it as Erin, and the chats service refused (FORBIDDEN on `message`).
    const refused = () =>
      live.results.filter(
        (r) =>
          r.data?.notificationAdded.message?.text === null &&
          r.errors?.some(
            (e) =>
              e.extensions?.code === 'FORBIDDEN' &&
              (e as { path?: unknown[] }).path?.join('.') === 'notificationAdded.message',
          ),
      );
    await waitUntil('the notification arrives', () => refused().length > 0, 30_000);
    expect(JSON.stringify(live.results)).not.toContain('after leaving');
    expect(refused().map((r) => r.data!.notificationAdded.message!.id)).toEqual([afterLeaving]);
    // The direct messages' notifications carry 'before leaving' (or, the refused one, no text). Starting the chat also
    // notified Erin (ADDED_TO_CHAT, no message), which arrives here when the subscription attached before it.
    const notifications = live.results.map((r) => r.data!.notificationAdded);
    const texts = notifications.filter((n) => n.kind === 'DIRECT_MESSAGE').map((n) => n.message?.text);
    expect(new Set(texts.filter((t) => t !== null))).toEqual(new Set(['before leaving']));
    const others = notifications.filter((n) => n.kind !== 'DIRECT_MESSAGE');
    expect(others.map((n) => [n.kind, n.message])).toEqual(others.map(() => ['ADDED_TO_CHAT', null]));
    live.unsubscribe();
    await client.dispose();
  });

  it('marks notifications read by id or all at once, and refuses unclear requests', async () => {
    const before = await n.unreadCount(bob);
    expect(before).toBeGreaterThan(2);
    const [oldest, second] = await n.notificationsOf(bob);
    const mark = 'mutation($ids: [ID!], $all: Boolean) { markNotificationsRead(ids: $ids, all: $all) }';
    expect((await n.call(bob, mark, { ids: [oldest!.id, second!.id] })).markNotificationsRead).toBe(2);
    // Already read, and someone else's: nothing changes.
    const carols = await n.notificationsOf(carol);
    expect((await n.call(bob, mark, { ids: [oldest!.id, carols[0]!.id] })).markNotificationsRead).toBe(0);
    expect(await n.unreadCount(bob)).toBe(before - 2);
    const unread = await n.call<{ notifications: { nodes: SeenNotification[] } }>(
      bob,
      '{ notifications(first: 100, unreadOnly: true) { nodes { id readAt } } }',
    );
    expect(unread.notifications.nodes).toHaveLength(before - 2);
    expect((await n.notificationsOf(bob))[0]!.readAt).not.toBeNull();

    for (const variables of [{}, { ids: [oldest!.id], all: true }, { ids: ['not-an-id'] }, { ids: [] }]) {
      const res = await gatewayRequest(n.gateway, bob.token, mark, variables);
      expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    }
    expect((await n.call(bob, mark, { all: true })).markNotificationsRead).toBe(before - 2);
    expect(await n.unreadCount(bob)).toBe(0);
  });

  it('pages the inbox newest first and refuses a cursor it did not make', async () => {
    const page = await n.call<{
      notifications: { nodes: SeenNotification[]; pageInfo: { hasNextPage: boolean; endCursor: string } };
    }>(bob, '{ notifications(first: 2) { nodes { seq } pageInfo { hasNextPage endCursor } } }');
    const all = await n.notificationsOf(bob);
    expect(page.notifications.nodes.map((x) => x.seq)).toEqual([all.at(-1)!.seq, all.at(-2)!.seq]);
    expect(page.notifications.pageInfo.hasNextPage).toBe(true);
    const res = await gatewayRequest(
      n.gateway,
      bob.token,
      '{ notifications(after: "bm90LWEtY3Vyc29y") { nodes { id } } }',
    );
    expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
    const anonymous = await gatewayRequest(n.gateway, null, '{ unreadNotificationCount }');
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('sends an event that keeps failing to the dead-letter queue after its retries; the CLI lists and replays it', async () => {
    const group = await n.createGroup(alice, [carol]);
    chats.push({ id: group, member: alice });
    await n.waitForIdle(await n.eventCount(chats));
    // The worker asks the users subgraph whom the sender is blocked by: while it is down, the event fails on every
    // attempt. The mention is resolved (by chats, through users) at send time, so the message is sent first, with no
    // worker running, and users stopped before a worker reads it.
    expect(await n.stack.stop('notifier-1', 'SIGTERM')).toBe(0);
    const chatsAsAlice = subgraphRequester(n.config, n.stack.url('chats'));
    const sent = await chatsAsAlice(
      'mutation($c: ID!) { sendMessage(chatId: $c, text: "ping @' +
        carol.username +
        '", clientMessageId: "dlq-1") { id } }',
      { c: group },
      alice.id,
    );
    expect(sent.errors).toBeUndefined();
    const usersPort = n.stack.processes.get('users')!.port;
    await n.stack.stop('users');
    await n.startNotifier('notifier-1');
    await waitUntil('the event is dead-lettered', async () => (await n.queueDepth('notify.inbox.dlq')) === 1);

    const listed = n.dlq('list', 'inbox');
    expect(listed.status).toBe(0);
    // Two retries (100 ms, 200 ms), then the dead-letter queue, with the last error.
    expect(listed.stdout).toContain(`${group}:`);
    expect(listed.stdout).toMatch(/attempts=2\terror=The users service (is unavailable|could not answer)/);
    expect(n.dlq('list').stdout).toContain(`${n.prefix}.notify.inbox.dlq\t1`);
    expect(n.dlq('replay', 'nowhere').status).toBe(64);

    await n.stack.start('users', 'users', usersPort);
    const replayed = n.dlq('replay', 'inbox');
    expect(replayed.stdout).toContain('replayed 1 message');
    expect(await n.queueDepth('notify.inbox.dlq')).toBe(0);
    // The worker's breaker towards users may still be open for a moment after users came back: a replayed message
    // that fails again returns to the dead-letter queue, and the operator replays it again.
    await waitUntil('carol is notified of the mention', async () => {
      if ((await n.queueDepth('notify.inbox.dlq')) > 0) n.dlq('replay', 'inbox');
      return (await n.notificationsOf(carol)).some((x) => x.kind === 'MENTION' && x.chat?.id === group);
    });
    // notifier-1 was restarted above: its relays count from then on, so only the queues are waited for.
    await n.waitForIdle(0);
    expect((await n.notificationsOf(carol)).filter((x) => x.chat?.id === group).map((x) => x.kind)).toEqual([
      'ADDED_TO_CHAT',
      'MENTION',
    ]);
  });

  it('stops a notifier cleanly on SIGTERM (exit 0); another takes its shards over and carries on', async () => {
    await n.startNotifier('notifier-2');
    expect(await n.stack.stop('notifier-1', 'SIGTERM')).toBe(0);
    await waitUntil('notifier-2 relays every shard', async () =>
      (await n.status('notifier-2')).relays.every((r) => r.active),
    );
    const group = await n.createGroup(alice, [dave]);
    await waitUntil('dave is notified', async () =>
      (await n.notificationsOf(dave)).some((x) => x.kind === 'ADDED_TO_CHAT' && x.chat?.id === group),
    );
  });
});
