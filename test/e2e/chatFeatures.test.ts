/**
 * End-to-end: replies, mentions, reactions and pins through a gateway over real subgraph processes. A member hears of
 * each live on `chatEvents` (with fields of the users subgraph: the mentioned user's username), resumes after a
 * dropped connection with exactly the events missed, and outsiders and removed members are refused.
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

const EVENTS = `subscription($chatId: ID!, $afterSeq: Int) {
  chatEvents(chatId: $chatId, afterSeq: $afterSeq) {
    seq type emoji actor { id }
    message {
      id text pinned replyToId replyCount
      replyTo { id text }
      mentions { id username }
      reactions { emoji count }
    }
  }
}`;

interface Event {
  seq: number;
  type: string;
  emoji: string | null;
  actor: { id: string };
  message: {
    id: string;
    text: string | null;
    pinned: boolean;
    replyToId: string | null;
    replyCount: number;
    replyTo: { id: string; text: string | null } | null;
    mentions: Array<{ id: string; username: string }>;
    reactions: Array<{ emoji: string; count: number }>;
  } | null;
}

describe('chat features end to end', () => {
  let dbs: TestDatabases;
  let stack: ProcessStack;
  let alice: TestUser;
  let bob: TestUser;
  let mallory: TestUser;
  let chatId: string;
  let n = 0;
  const url = () => stack.url('gateway');

  async function call<T>(user: TestUser, query: string, variables: Record<string, unknown> = {}) {
    return gatewayRequest<T>(url(), user.token, query, variables);
  }
  async function must<T>(user: TestUser, query: string, variables: Record<string, unknown> = {}): Promise<T> {
    const res = await call<T>(user, query, variables);
    if (res.errors?.length || !res.data) throw new Error(JSON.stringify(res.errors));
    return res.data;
  }
  const send = async (user: TestUser, text: string, replyToId?: string) =>
    (
      await must<{ sendMessage: { id: string; seq: number } }>(
        user,
        `mutation($c: ID!, $t: String!, $k: String!, $r: ID) {
           sendMessage(chatId: $c, text: $t, clientMessageId: $k, replyToId: $r) { id seq } }`,
        { c: chatId, t: text, k: `e2e-${process.pid}-${n++}`, r: replyToId ?? null },
      )
    ).sendMessage;
  const lastSeq = async () =>
    (await must<{ chat: { lastSeq: number } }>(alice, 'query($c: ID!) { chat(id: $c) { lastSeq } }', { c: chatId }))
      .chat.lastSeq;
  const code = (res: { errors?: Array<{ extensions?: Record<string, unknown> }> }) => res.errors?.[0]?.extensions?.code;

  beforeAll(async () => {
    const config = testConfig({ USERS_SHARDS: '2', CHATS_SHARDS: '2' });
    dbs = await createTestDatabases(config);
    stack = new ProcessStack(ProcessStack.envFor(config));
    await stack.startSubgraphs();
    await stack.start('gateway', 'gateway');
    [alice, bob, mallory] = await Promise.all([signUp(url(), 'Alice'), signUp(url(), 'Bob'), signUp(url(), 'Mallory')]);
    chatId = (
      await must<{ createGroupChat: { id: string } }>(
        alice,
        'mutation($m: [ID!]!) { createGroupChat(title: "features", memberIds: $m) { id } }',
        { m: [bob.id] },
      )
    ).createGroupChat.id;
  }, 120_000);

  afterAll(async () => {
    await stack?.close();
    await dbs?.drop();
  });

  it('delivers replies, mentions, reactions and pins live, and resumes with exactly the missed ones', async () => {
    const first = liveClient(stack.wsUrl('gateway'), bob.token);
    const sub1 = subscribe<{ chatEvents: Event }>(first, EVENTS, { chatId, afterSeq: await lastSeq() });
    const root = await send(alice, `hello @${bob.username} and @nobody_at_all`);
    const answer = await send(bob, 'a reply', root.id);
    await sub1.waitFor((r) => r.some((x) => x.data?.chatEvents.seq === answer.seq));
    const [added, replied] = sub1.results.map((r) => r.data!.chatEvents);
    expect(sub1.results.every((r) => r.errors === undefined)).toBe(true);
    expect(added).toMatchObject({
      type: 'MESSAGE_ADDED',
      message: { id: root.id, mentions: [{ id: bob.id, username: bob.username }], replyToId: null, reactions: [] },
    });
    expect(replied).toMatchObject({
      type: 'MESSAGE_ADDED',
      message: { id: answer.id, replyToId: root.id, replyTo: { id: root.id, text: expect.stringContaining('hello') } },
    });
    const lastSeen = replied!.seq;
    await first.dispose();

    // Missed while disconnected: a reaction, a second one with the same emoji, a removal, a pin.
    await must(alice, 'mutation($m: ID!) { addReaction(messageId: $m, emoji: "🎉") { id } }', { m: answer.id });
    await must(bob, 'mutation($m: ID!) { addReaction(messageId: $m, emoji: "🎉") { id } }', { m: answer.id });
    await must(bob, 'mutation($m: ID!) { addReaction(messageId: $m, emoji: "🎉") { id } }', { m: answer.id });
    await must(alice, 'mutation($m: ID!) { removeReaction(messageId: $m, emoji: "🎉") { id } }', { m: answer.id });
    await must(alice, 'mutation($m: ID!) { pinMessage(messageId: $m) { id } }', { m: root.id });

    const second = liveClient(stack.wsUrl('gateway'), bob.token);
    const sub2 = subscribe<{ chatEvents: Event }>(second, EVENTS, { chatId, afterSeq: lastSeen });
    await sub2.waitFor((r) => r.length >= 4);
    // And live after the resume.
    await must(alice, 'mutation($m: ID!) { unpinMessage(messageId: $m) { id } }', { m: root.id });
    await sub2.waitFor((r) => r.length >= 5);
    const events = sub2.results.map((r) => r.data!.chatEvents);
    expect(events.map((e) => [e.seq, e.type, e.emoji, e.actor.id])).toEqual([
      [lastSeen + 1, 'REACTION_ADDED', '🎉', alice.id],
      [lastSeen + 2, 'REACTION_ADDED', '🎉', bob.id],
      [lastSeen + 3, 'REACTION_REMOVED', '🎉', alice.id],
      [lastSeen + 4, 'MESSAGE_PINNED', null, alice.id],
      [lastSeen + 5, 'MESSAGE_UNPINNED', null, alice.id],
    ]);
    expect(events[4]!.message).toMatchObject({ id: root.id, pinned: false });
    await second.dispose();

    // The thread as a query: the root counts its reply.
    const thread = await must<{ message: { replyCount: number; replies: { nodes: Array<{ id: string }> } } }>(
      bob,
      'query($m: ID!) { message(id: $m) { replyCount replies(first: 10) { nodes { id } } } }',
      { m: root.id },
    );
    expect(thread.message).toEqual({ replyCount: 1, replies: { nodes: [{ id: answer.id }] } });
  }, 60_000);

  it('finds messages by their words, only for members', async () => {
    const sent = await send(alice, 'the quarterly kumquat report');
    const found = await must<{ searchMessages: { nodes: Array<{ id: string; author: { username: string } }> } }>(
      bob,
      'query { searchMessages(query: "kumquat") { nodes { id author { username } } } }',
    );
    expect(found.searchMessages.nodes).toEqual([{ id: sent.id, author: { username: alice.username } }]);
    const outsider = await must<{ searchMessages: { nodes: unknown[] } }>(
      mallory,
      'query { searchMessages(query: "kumquat") { nodes { id } } }',
    );
    expect(outsider.searchMessages.nodes).toEqual([]);
  });

  it('sends typing to the others only, read receipts to the chat and the reader own devices', async () => {
    const aliceWs = liveClient(stack.wsUrl('gateway'), alice.token);
    const aliceOther = liveClient(stack.wsUrl('gateway'), alice.token);
    const bobWs = liveClient(stack.wsUrl('gateway'), bob.token);
    const TYPING = 'subscription($c: ID!) { typing(chatId: $c) { typing user { id } } }';
    type Typing = { typing: { typing: boolean; user: { id: string } } };
    const aliceTyping = subscribe<Typing>(aliceWs, TYPING, { c: chatId });
    const bobTyping = subscribe<Typing>(bobWs, TYPING, { c: chatId });
    const receipts = subscribe<{ readReceipts: { user: { id: string }; lastReadSeq: number } }>(
      bobWs,
      'subscription($c: ID!) { readReceipts(chatId: $c) { user { id } lastReadSeq } }',
      { c: chatId },
    );
    const own = subscribe<{ myReadReceipts: { chatId: string; lastReadSeq: number; unreadCount: number } }>(
      aliceOther,
      'subscription { myReadReceipts { chatId lastReadSeq unreadCount } }',
    );
    await waitUntil('the four subscriptions are live', async () => {
      const metrics = (await (await fetch(stack.adminUrl('gateway'))).json()) as {
        subscriptions: { liveSubscriptions: number };
      };
      return metrics.subscriptions.liveSubscriptions === 4;
    });
    const probe = await send(bob, 'probe');
    await must(alice, 'mutation($c: ID!, $s: Int!) { markRead(chatId: $c, seq: $s) { id } }', {
      c: chatId,
      s: probe.seq - 1,
    });
    await receipts.waitFor((r) => r.length >= 1);
    await own.waitFor((r) => r.length >= 1);

    await must(alice, 'mutation($c: ID!) { setTyping(chatId: $c, typing: true) }', { c: chatId });
    await must(bob, 'mutation($c: ID!) { setTyping(chatId: $c, typing: true) }', { c: chatId });
    await bobTyping.waitFor((r) => r.length >= 1);
    await aliceTyping.waitFor((r) => r.length >= 1);
    // Each sees the other's typing first: their own never arrives.
    expect(bobTyping.results[0]!.data!.typing).toEqual({ typing: true, user: { id: alice.id } });
    expect(aliceTyping.results[0]!.data!.typing).toEqual({ typing: true, user: { id: bob.id } });
    expect(aliceTyping.results.every((r) => r.data!.typing.user.id === bob.id)).toBe(true);

    await must(alice, 'mutation($c: ID!, $s: Int!) { markRead(chatId: $c, seq: $s) { id } }', {
      c: chatId,
      s: probe.seq,
    });
    await receipts.waitFor((r) => r.some((x) => x.data!.readReceipts.lastReadSeq === probe.seq));
    await own.waitFor((r) => r.some((x) => x.data!.myReadReceipts.lastReadSeq === probe.seq));
    expect(receipts.results.at(-1)!.data!.readReceipts).toEqual({ user: { id: alice.id }, lastReadSeq: probe.seq });
    expect(own.results.at(-1)!.data!.myReadReceipts).toEqual({ chatId, lastReadSeq: probe.seq, unreadCount: 0 });
    await Promise.all([aliceWs.dispose(), aliceOther.dispose(), bobWs.dispose()]);
  });

  it('refuses outsiders and removed members', async () => {
    const msg = await send(alice, 'members only');
    const attempts = (user: TestUser) =>
      Promise.all([
        call(user, 'mutation($m: ID!) { addReaction(messageId: $m, emoji: "👍") { id } }', { m: msg.id }),
        call(user, 'mutation($m: ID!) { pinMessage(messageId: $m) { id } }', { m: msg.id }),
        call(user, 'query($m: ID!) { message(id: $m) { id } }', { m: msg.id }),
        call(user, 'query($c: ID!) { searchMessages(query: "members", chatId: $c) { nodes { id } } }', { c: chatId }),
        call(
          user,
          'mutation($c: ID!, $r: ID!) { sendMessage(chatId: $c, text: "x", clientMessageId: "no", replyToId: $r) { id } }',
          { c: chatId, r: msg.id },
        ),
      ]);
    expect((await attempts(mallory)).map(code)).toEqual(Array(5).fill('FORBIDDEN'));
    await must(alice, 'mutation($c: ID!, $u: ID!) { removeMember(chatId: $c, userId: $u) { id } }', {
      c: chatId,
      u: bob.id,
    });
    expect((await attempts(bob)).map(code)).toEqual(Array(5).fill('FORBIDDEN'));
  });
});
