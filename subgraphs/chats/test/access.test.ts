import { codeOf, countRows, createGroup, newUser, ok, send, startChats, type ChatsHarness } from './harness';

let h: ChatsHarness;
let owner: string;
let member: string;
let outsider: string;
let chatId: string;
let messageId: string;

beforeAll(async () => {
  h = await startChats();
  owner = newUser();
  member = newUser();
  outsider = newUser();
  chatId = await createGroup(h, owner, [member]);
  messageId = ok(await send(h, member, chatId, 'members only')).sendMessage.id;
});
afterAll(async () => {
  await h.close();
});

async function snapshot() {
  return Promise.all(
    (['chats', 'chat_members', 'chat_events', 'messages', 'user_chats', 'index_outbox'] as const).map((t) =>
      countRows(h, t),
    ),
  );
}

describe('a non-member', () => {
  const cases: Array<[string, string, () => Record<string, unknown>]> = [
    ['chat', `query($c: ID!) { chat(id: $c) { id } }`, () => ({ c: chatId })],
    ['messages', `query($c: ID!) { chat(id: $c) { messages { nodes { id } } } }`, () => ({ c: chatId })],
    ['chatEventsSince', `query($c: ID!) { chatEventsSince(chatId: $c, afterSeq: 0) { seq } }`, () => ({ c: chatId })],
    [
      'sendMessage',
      `mutation($c: ID!) { sendMessage(chatId: $c, text: "hi", clientMessageId: "x1") { id } }`,
      () => ({ c: chatId }),
    ],
    [
      'editMessage',
      `mutation($m: ID!) { editMessage(messageId: $m, text: "changed") { id } }`,
      () => ({ m: messageId }),
    ],
    ['deleteMessage', `mutation($m: ID!) { deleteMessage(messageId: $m) { id } }`, () => ({ m: messageId })],
    ['markRead', `mutation($c: ID!) { markRead(chatId: $c, seq: 1) { id } }`, () => ({ c: chatId })],
    ['setTyping', `mutation($c: ID!) { setTyping(chatId: $c, typing: true) }`, () => ({ c: chatId })],
    [
      'addMembers',
      `mutation($c: ID!, $u: ID!) { addMembers(chatId: $c, userIds: [$u]) { id } }`,
      () => ({ c: chatId, u: outsider }),
    ],
    [
      'removeMember',
      `mutation($c: ID!, $u: ID!) { removeMember(chatId: $c, userId: $u) { id } }`,
      () => ({ c: chatId, u: member }),
    ],
    ['renameChat', `mutation($c: ID!) { renameChat(chatId: $c, title: "mine now") { id } }`, () => ({ c: chatId })],
    ['leaveChat', `mutation($c: ID!) { leaveChat(chatId: $c) }`, () => ({ c: chatId })],
    [
      'Message entity',
      `query($r: [_Any!]!) { _entities(representations: $r) { ... on Message { text } } }`,
      () => ({ r: [{ __typename: 'Message', id: messageId }] }),
    ],
    [
      'Chat entity',
      `query($r: [_Any!]!) { _entities(representations: $r) { ... on Chat { title } } }`,
      () => ({ r: [{ __typename: 'Chat', id: chatId }] }),
    ],
  ];

  it.each(cases)('is refused %s with FORBIDDEN and nothing is written', async (_name, query, vars) => {
    const before = await snapshot();
    const res = await h.as(outsider)(query, vars());
    expect(codeOf(res)).toBe('FORBIDDEN');
    expect(await snapshot()).toEqual(before);
  });

  it('gets canReadChat = false (and a member true)', async () => {
    const q = `query($c: ID!) { canReadChat(chatId: $c) }`;
    expect(ok(await h.as(outsider)<{ canReadChat: boolean }>(q, { c: chatId })).canReadChat).toBe(false);
    expect(ok(await h.as(member)<{ canReadChat: boolean }>(q, { c: chatId })).canReadChat).toBe(true);
    expect(ok(await h.as(member)<{ canReadChat: boolean }>(q, { c: '123456789' })).canReadChat).toBe(false);
  });

  it("cannot list someone else's chats through User.chats", async () => {
    const res = await h.as(outsider)(
      `query($r: [_Any!]!) { _entities(representations: $r) { ... on User { chats { nodes { id } } } } }`,
      {
        r: [{ __typename: 'User', id: owner }],
      },
    );
    expect(codeOf(res)).toBe('FORBIDDEN');
    const own = await h.as(owner)<{ _entities: Array<{ chats: { nodes: Array<{ id: string }> } }> }>(
      `query($r: [_Any!]!) { _entities(representations: $r) { ... on User { chats { nodes { id } } } } }`,
      { r: [{ __typename: 'User', id: owner }] },
    );
    expect(ok(own)._entities[0]!.chats.nodes.map((c) => c.id)).toContain(chatId);
  });
});

describe('roles', () => {
  it('a plain member cannot add, remove or rename, but can leave', async () => {
    const c = await createGroup(h, owner, [member, outsider]);
    for (const [q, v] of [
      [`mutation($c: ID!, $u: ID!) { addMembers(chatId: $c, userIds: [$u]) { id } }`, { c, u: newUser() }],
      [`mutation($c: ID!, $u: ID!) { removeMember(chatId: $c, userId: $u) { id } }`, { c, u: outsider }],
      [`mutation($c: ID!) { renameChat(chatId: $c, title: "x") { id } }`, { c }],
    ] as const) {
      expect(codeOf(await h.as(member)(q, v))).toBe('FORBIDDEN');
    }
    const ownersMessage = ok(await send(h, owner, c, "owner's")).sendMessage.id;
    expect(
      codeOf(await h.as(member)(`mutation($m: ID!) { deleteMessage(messageId: $m) { id } }`, { m: ownersMessage })),
    ).toBe('FORBIDDEN');
    expect(
      ok(await h.as(member)<{ leaveChat: boolean }>(`mutation($c: ID!) { leaveChat(chatId: $c) }`, { c })).leaveChat,
    ).toBe(true);
    expect(codeOf(await h.as(member)(`query($c: ID!) { chat(id: $c) { id } }`, { c }))).toBe('FORBIDDEN');
  });

  it('members cannot edit or delete messages of others; the owner can delete them', async () => {
    const c = await createGroup(h, owner, [member, outsider]);
    const m = ok(await send(h, member, c, 'mine')).sendMessage.id;
    expect(
      codeOf(await h.as(outsider)(`mutation($m: ID!) { editMessage(messageId: $m, text: "x") { id } }`, { m })),
    ).toBe('FORBIDDEN');
    expect(codeOf(await h.as(outsider)(`mutation($m: ID!) { deleteMessage(messageId: $m) { id } }`, { m }))).toBe(
      'FORBIDDEN',
    );
    expect(codeOf(await h.as(owner)(`mutation($m: ID!) { editMessage(messageId: $m, text: "x") { id } }`, { m }))).toBe(
      'FORBIDDEN',
    );
    const deleted = ok(
      await h.as(owner)<{ deleteMessage: { deleted: boolean; text: string | null } }>(
        `mutation($m: ID!) { deleteMessage(messageId: $m) { deleted text } }`,
        { m },
      ),
    );
    expect(deleted.deleteMessage).toEqual({ deleted: true, text: null });
  });
});

describe('unknown things', () => {
  it('an unknown chat is NOT_FOUND', async () => {
    const unknown = '123456789012345';
    expect(codeOf(await h.as(owner)(`query($c: ID!) { chat(id: $c) { id } }`, { c: unknown }))).toBe('NOT_FOUND');
    expect(codeOf(await send(h, owner, unknown, 'hi'))).toBe('NOT_FOUND');
    expect(
      codeOf(await h.as(owner)(`query($c: ID!) { chatEventsSince(chatId: $c, afterSeq: 0) { seq } }`, { c: unknown })),
    ).toBe('NOT_FOUND');
    expect(codeOf(await h.as(owner)(`mutation($c: ID!) { markRead(chatId: $c, seq: 0) { id } }`, { c: unknown }))).toBe(
      'NOT_FOUND',
    );
    expect(codeOf(await h.as(owner)(`mutation($c: ID!) { leaveChat(chatId: $c) }`, { c: unknown }))).toBe('NOT_FOUND');
    expect(
      codeOf(await h.as(owner)(`mutation($m: ID!) { editMessage(messageId: $m, text: "x") { id } }`, { m: unknown })),
    ).toBe('NOT_FOUND');
  });

  it('an anonymous request is UNAUTHENTICATED', async () => {
    expect(codeOf(await h.as(null)(`query { myChats { nodes { id } } }`))).toBe('UNAUTHENTICATED');
    expect(codeOf(await send(h, null as unknown as string, chatId, 'hi'))).toBe('UNAUTHENTICATED');
  });
});

describe('bad input', () => {
  const long = 'x'.repeat(4001);
  const cases: Array<[string, string, () => Record<string, unknown>, string]> = [
    ['malformed chat id', `query($c: ID!) { chat(id: $c) { id } }`, () => ({ c: 'abc' }), 'id'],
    ['id with a leading zero', `query($c: ID!) { chat(id: $c) { id } }`, () => ({ c: `0${chatId}` }), 'id'],
    ['id beyond 64 bits', `query($c: ID!) { chat(id: $c) { id } }`, () => ({ c: '99999999999999999999' }), 'id'],
    [
      'empty text',
      `mutation($c: ID!) { sendMessage(chatId: $c, text: "", clientMessageId: "k1") { id } }`,
      () => ({ c: chatId }),
      'text',
    ],
    [
      'blank text',
      `mutation($c: ID!) { sendMessage(chatId: $c, text: "  \\n ", clientMessageId: "k1") { id } }`,
      () => ({ c: chatId }),
      'text',
    ],
    [
      'over-long text',
      `mutation($c: ID!, $t: String!) { sendMessage(chatId: $c, text: $t, clientMessageId: "k1") { id } }`,
      () => ({ c: chatId, t: long }),
      'text',
    ],
    [
      'text with a NUL character',
      `mutation($c: ID!, $t: String!) { sendMessage(chatId: $c, text: $t, clientMessageId: "k1") { id } }`,
      () => ({ c: chatId, t: 'a\u0000b' }),
      'text',
    ],
    [
      'title with a NUL character',
      `mutation($t: String!) { createGroupChat(title: $t, memberIds: []) { id } }`,
      () => ({ t: 'a\u0000b' }),
      'title',
    ],
    [
      'empty clientMessageId',
      `mutation($c: ID!) { sendMessage(chatId: $c, text: "hi", clientMessageId: "") { id } }`,
      () => ({ c: chatId }),
      'clientMessageId',
    ],
    [
      'clientMessageId with a space',
      `mutation($c: ID!) { sendMessage(chatId: $c, text: "hi", clientMessageId: "a b") { id } }`,
      () => ({ c: chatId }),
      'clientMessageId',
    ],
    [
      'clientMessageId of 65 characters',
      `mutation($c: ID!, $k: String!) { sendMessage(chatId: $c, text: "hi", clientMessageId: $k) { id } }`,
      () => ({ c: chatId, k: 'k'.repeat(65) }),
      'clientMessageId',
    ],
    [
      'malformed chat id on send',
      `mutation { sendMessage(chatId: "-1", text: "hi", clientMessageId: "k1") { id } }`,
      () => ({}),
      'chatId',
    ],
    [
      'over-long edit',
      `mutation($m: ID!, $t: String!) { editMessage(messageId: $m, text: $t) { id } }`,
      () => ({ m: messageId, t: long }),
      'text',
    ],
    ['malformed message id', `mutation { deleteMessage(messageId: "x") { id } }`, () => ({}), 'messageId'],
    [
      'negative afterSeq',
      `query($c: ID!) { chatEventsSince(chatId: $c, afterSeq: -1) { seq } }`,
      () => ({ c: chatId }),
      'afterSeq',
    ],
    [
      'afterSeq beyond lastSeq',
      `query($c: ID!) { chatEventsSince(chatId: $c, afterSeq: 1000) { seq } }`,
      () => ({ c: chatId }),
      'afterSeq',
    ],
    [
      'events limit above 500',
      `query($c: ID!) { chatEventsSince(chatId: $c, afterSeq: 0, limit: 501) { seq } }`,
      () => ({ c: chatId }),
      'limit',
    ],
    [
      'events limit 0',
      `query($c: ID!) { chatEventsSince(chatId: $c, afterSeq: 0, limit: 0) { seq } }`,
      () => ({ c: chatId }),
      'limit',
    ],
    [
      'page above 100',
      `query($c: ID!) { chat(id: $c) { messages(last: 101) { nodes { id } } } }`,
      () => ({ c: chatId }),
      'last',
    ],
    [
      'negative page',
      `query($c: ID!) { chat(id: $c) { messages(first: -1) { nodes { id } } } }`,
      () => ({ c: chatId }),
      'first',
    ],
    [
      'first and last',
      `query($c: ID!) { chat(id: $c) { messages(first: 1, last: 1) { nodes { id } } } }`,
      () => ({ c: chatId }),
      'last',
    ],
    [
      'forged cursor',
      `query($c: ID!) { chat(id: $c) { messages(before: "bm9wZQ==") { nodes { id } } } }`,
      () => ({ c: chatId }),
      'before',
    ],
    ['myChats first above 100', `query { myChats(first: 101) { nodes { id } } }`, () => ({}), 'first'],
    ['forged chat cursor', `query { myChats(after: "garbage!") { nodes { id } } }`, () => ({}), 'after'],
    [
      'markRead beyond lastSeq',
      `mutation($c: ID!) { markRead(chatId: $c, seq: 1000) { id } }`,
      () => ({ c: chatId }),
      'seq',
    ],
    ['markRead negative', `mutation($c: ID!) { markRead(chatId: $c, seq: -1) { id } }`, () => ({ c: chatId }), 'seq'],
    ['empty title', `mutation { createGroupChat(title: "  ", memberIds: []) { id } }`, () => ({}), 'title'],
    [
      'over-long title',
      `mutation($t: String!) { createGroupChat(title: $t, memberIds: []) { id } }`,
      () => ({ t: 't'.repeat(201) }),
      'title',
    ],
    [
      'malformed member id',
      `mutation { createGroupChat(title: "g", memberIds: ["1", "nope"]) { id } }`,
      () => ({}),
      'memberIds',
    ],
    [
      'too many members',
      `mutation($m: [ID!]!) { createGroupChat(title: "g", memberIds: $m) { id } }`,
      () => ({ m: Array.from({ length: 101 }, () => newUser()) }),
      'memberIds',
    ],
    [
      'no users to add',
      `mutation($c: ID!) { addMembers(chatId: $c, userIds: []) { id } }`,
      () => ({ c: chatId }),
      'userIds',
    ],
    [
      'direct chat with oneself',
      `mutation($u: ID!) { createDirectChat(userId: $u) { id } }`,
      () => ({ u: owner }),
      'userId',
    ],
    [
      'removing oneself',
      `mutation($c: ID!, $u: ID!) { removeMember(chatId: $c, userId: $u) { id } }`,
      () => ({ c: chatId, u: owner }),
      'userId',
    ],
  ];

  it.each(cases)(
    '%s is BAD_USER_INPUT naming the argument, and nothing is written',
    async (_name, query, vars, field) => {
      const before = await snapshot();
      const res = await h.as(owner)(query, vars());
      expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
      expect(res.errors![0]!.extensions!.stacktrace).toBeUndefined();
      expect(await snapshot()).toEqual(before);
    },
  );

  it('a direct chat cannot gain members', async () => {
    const other = newUser();
    const direct = ok(
      await h.as(owner)<{ createDirectChat: { id: string } }>(
        `mutation($u: ID!) { createDirectChat(userId: $u) { id } }`,
        { u: other },
      ),
    );
    const before = await snapshot();
    const res = await h.as(owner)(`mutation($c: ID!, $u: ID!) { addMembers(chatId: $c, userIds: [$u]) { id } }`, {
      c: direct.createDirectChat.id,
      u: newUser(),
    });
    expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'chatId' });
    expect(await snapshot()).toEqual(before);
  });

  it('a 4000-character text is accepted (the limit counts characters, not UTF-16 units)', async () => {
    const text = '😀'.repeat(4000);
    expect(ok(await send(h, owner, chatId, text)).sendMessage.text).toBe(text);
  });
});
