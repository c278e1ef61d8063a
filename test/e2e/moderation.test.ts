/**
 * End-to-end: blocks (users service) enforced by the chats service, bans and mutes, through a gateway over real
 * subgraph processes; each refusal with its code, the ban's events live on `chatEvents` and resumable.
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

describe('moderation end to end', () => {
  let dbs: TestDatabases;
  let stack: ProcessStack;
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;
  let n = 0;
  const url = () => stack.url('gateway');

  const call = <T = Record<string, any>>(user: TestUser, query: string, variables: Record<string, unknown> = {}) =>
    gatewayRequest<T>(url(), user.token, query, variables);
  async function must<T = Record<string, any>>(user: TestUser, query: string, variables: Record<string, unknown> = {}) {
    const res = await call<T>(user, query, variables);
    if (res.errors?.length || !res.data) throw new Error(JSON.stringify(res.errors));
    return res.data;
  }
  const code = (res: { errors?: Array<{ extensions?: Record<string, unknown> }> }) => res.errors?.[0]?.extensions?.code;
  const send = (user: TestUser, chatId: string, text = 'hi') =>
    call<{ sendMessage: { seq: number } }>(
      user,
      'mutation($c: ID!, $t: String!, $k: String!) { sendMessage(chatId: $c, text: $t, clientMessageId: $k) { seq } }',
      { c: chatId, t: text, k: `mod-${n++}` },
    );
  const group = async (owner: TestUser, members: TestUser[]) =>
    (
      await must<{ createGroupChat: { id: string } }>(
        owner,
        'mutation($m: [ID!]!) { createGroupChat(title: "mod", memberIds: $m) { id } }',
        { m: members.map((u) => u.id) },
      )
    ).createGroupChat.id;

  beforeAll(async () => {
    const config = testConfig({ USERS_SHARDS: '2', CHATS_SHARDS: '2' });
    dbs = await createTestDatabases(config);
    stack = new ProcessStack(ProcessStack.envFor(config));
    await stack.startSubgraphs();
    await stack.start('gateway', 'gateway');
    [alice, bob, carol] = await Promise.all([signUp(url(), 'Alice'), signUp(url(), 'Bob'), signUp(url(), 'Carol')]);
  }, 120_000);

  afterAll(async () => {
    await stack?.close();
    await dbs?.drop();
  });

  it('a blocked user cannot open a direct chat, send in one, or add the blocker to groups; unblocking undoes it', async () => {
    const direct = (
      await must<{ createDirectChat: { id: string } }>(
        alice,
        'mutation($u: ID!) { createDirectChat(userId: $u) { id } }',
        {
          u: bob.id,
        },
      )
    ).createDirectChat.id;
    expect(code(await send(bob, direct))).toBeUndefined();

    expect(await must(alice, 'mutation($u: ID!) { blockUser(userId: $u) }', { u: bob.id })).toEqual({
      blockUser: true,
    });
    expect(await must(alice, 'mutation($u: ID!) { blockUser(userId: $u) }', { u: bob.id })).toEqual({
      blockUser: true,
    });
    expect(await must(alice, '{ myBlockedUsers { id username } }')).toEqual({
      myBlockedUsers: [{ id: bob.id, username: bob.username }],
    });

    const refusedSend = await send(bob, direct);
    expect(code(refusedSend)).toBe('BLOCKED');
    expect(refusedSend.errors![0]!.extensions!.userIds).toEqual([alice.id]);
    expect(code(await call(bob, 'mutation($u: ID!) { createDirectChat(userId: $u) { id } }', { u: alice.id }))).toBe(
      'BLOCKED',
    );
    expect(
      code(
        await call(bob, 'mutation($m: [ID!]!) { createGroupChat(title: "g", memberIds: $m) { id } }', {
          m: [alice.id, carol.id],
        }),
      ),
    ).toBe('BLOCKED');
    const bobsGroup = await group(bob, [carol]);
    expect(
      code(
        await call(bob, 'mutation($c: ID!, $u: [ID!]!) { addMembers(chatId: $c, userIds: $u) { id } }', {
          c: bobsGroup,
          u: [alice.id],
        }),
      ),
    ).toBe('BLOCKED');
    // The blocker still writes; someone else still adds the blocker.
    expect(code(await send(alice, direct))).toBeUndefined();
    expect(
      code(
        await call(carol, 'mutation($m: [ID!]!) { createGroupChat(title: "c", memberIds: $m) { id } }', {
          m: [alice.id],
        }),
      ),
    ).toBeUndefined();

    expect(code(await call(alice, 'mutation($u: ID!) { blockUser(userId: $u) }', { u: alice.id }))).toBe(
      'BAD_USER_INPUT',
    );
    expect(code(await call(alice, 'mutation { blockUser(userId: "1") }'))).toBe('NOT_FOUND');

    await must(alice, 'mutation($u: ID!) { unblockUser(userId: $u) }', { u: bob.id });
    expect(await must(alice, '{ myBlockedUsers { id } }')).toEqual({ myBlockedUsers: [] });
    expect(code(await send(bob, direct))).toBeUndefined();
  });

  it('bans remove a member and keep them out until unbanned; the events are live and resumable', async () => {
    const chatId = await group(alice, [bob, carol]);
    const { chat } = await must<{ chat: { lastSeq: number } }>(alice, 'query($c: ID!) { chat(id: $c) { lastSeq } }', {
      c: chatId,
    });
    const EVENTS = `subscription($c: ID!, $a: Int) { chatEvents(chatId: $c, afterSeq: $a) { seq type user { id username } member { user { id } } } }`;
    const client = liveClient(stack.wsUrl('gateway'), carol.token);
    const sub = subscribe<{ chatEvents: { seq: number; type: string; user: { id: string } | null } }>(client, EVENTS, {
      c: chatId,
      a: chat.lastSeq,
    });

    expect(
      code(
        await call(bob, 'mutation($c: ID!, $u: ID!) { banMember(chatId: $c, userId: $u) { id } }', {
          c: chatId,
          u: carol.id,
        }),
      ),
    ).toBe('FORBIDDEN');
    await must(alice, 'mutation($c: ID!, $u: ID!) { banMember(chatId: $c, userId: $u) { id } }', {
      c: chatId,
      u: bob.id,
    });
    await sub.waitFor((r) => r.length >= 2);
    expect(sub.results.map((r) => [r.data!.chatEvents.type, r.data!.chatEvents.user?.id ?? null])).toEqual([
      ['MEMBER_REMOVED', null],
      ['MEMBER_BANNED', bob.id],
    ]);
    const lastSeen = sub.results[1]!.data!.chatEvents.seq;
    await client.dispose();

    expect(code(await send(bob, chatId))).toBe('FORBIDDEN');
    const readd = await call(alice, 'mutation($c: ID!, $u: [ID!]!) { addMembers(chatId: $c, userIds: $u) { id } }', {
      c: chatId,
      u: [bob.id],
    });
    expect(code(readd)).toBe('BANNED');
    await must(alice, 'mutation($c: ID!, $u: ID!) { unbanMember(chatId: $c, userId: $u) { id } }', {
      c: chatId,
      u: bob.id,
    });
    await must(alice, 'mutation($c: ID!, $u: [ID!]!) { addMembers(chatId: $c, userIds: $u) { id } }', {
      c: chatId,
      u: [bob.id],
    });
    expect(code(await send(bob, chatId))).toBeUndefined();

    // Resumed: exactly what happened since.
    const again = liveClient(stack.wsUrl('gateway'), carol.token);
    const resumed = subscribe<{ chatEvents: { seq: number; type: string } }>(again, EVENTS, { c: chatId, a: lastSeen });
    await resumed.waitFor((r) => r.length >= 3);
    expect(resumed.results.map((r) => r.data!.chatEvents.type)).toEqual([
      'MEMBER_UNBANNED',
      'MEMBER_ADDED',
      'MESSAGE_ADDED',
    ]);
    expect(resumed.results.map((r) => r.data!.chatEvents.seq)).toEqual([lastSeen + 1, lastSeen + 2, lastSeen + 3]);
    await again.dispose();
  });

  it('mutes are the member own setting, shown as viewerMutedUntil', async () => {
    const chatId = await group(alice, [bob]);
    const until = new Date(Date.now() + 3600_000).toISOString();
    const muted = await must<{ muteChat: { viewerMutedUntil: string } }>(
      bob,
      'mutation($c: ID!, $u: DateTime) { muteChat(chatId: $c, until: $u) { viewerMutedUntil } }',
      { c: chatId, u: until },
    );
    expect(muted.muteChat.viewerMutedUntil).toBe(until);
    const seen = await must<{ chat: { viewerMutedUntil: string | null } }>(
      alice,
      'query($c: ID!) { chat(id: $c) { viewerMutedUntil } }',
      { c: chatId },
    );
    expect(seen.chat.viewerMutedUntil).toBeNull();
    const forever = await must<{ muteChat: { viewerMutedUntil: string } }>(
      bob,
      'mutation($c: ID!) { muteChat(chatId: $c) { viewerMutedUntil } }',
      { c: chatId },
    );
    expect(forever.muteChat.viewerMutedUntil).toBe('9999-12-31T23:59:59.999Z');
    const unmuted = await must<{ unmuteChat: { viewerMutedUntil: string | null } }>(
      bob,
      'mutation($c: ID!) { unmuteChat(chatId: $c) { viewerMutedUntil } }',
      { c: chatId },
    );
    expect(unmuted.unmuteChat.viewerMutedUntil).toBeNull();
    expect(
      code(
        await call(bob, 'mutation($c: ID!, $u: DateTime) { muteChat(chatId: $c, until: $u) { id } }', {
          c: chatId,
          u: '2020-01-01T00:00:00.000Z',
        }),
      ),
    ).toBe('BAD_USER_INPUT');
    expect(code(await call(carol, 'mutation($c: ID!) { muteChat(chatId: $c) { id } }', { c: chatId }))).toBe(
      'FORBIDDEN',
    );
  });
});
