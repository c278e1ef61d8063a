import { codeOf, countRows, createGroup, newUser, ok, send, startChats, type ChatsHarness } from './harness';

describe('chats rate limits (shared Redis)', () => {
  let h: ChatsHarness;
  beforeAll(async () => {
    h = await startChats({
      env: { RATE_LIMIT_MESSAGE_USER: '3/1m', RATE_LIMIT_MESSAGE_CHAT: '5/1m', RATE_LIMIT_MEMBERSHIP_USER: '3/1m' },
    });
  });
  afterAll(() => h.close());

  it('refuses an author’s messages over the limit with RATE_LIMITED and retryAfterMs, writing nothing', async () => {
    const [owner, member] = [newUser(), newUser()];
    const chatId = await createGroup(h, owner, [member]);
    for (let i = 0; i < 3; i++) ok(await send(h, member, chatId, `m ${i}`));
    const before = await countRows(h, 'messages');
    const refused = await send(h, member, chatId, 'one too many');
    expect(codeOf(refused)).toBe('RATE_LIMITED');
    expect(refused.errors![0]!.extensions!.retryAfterMs).toBeGreaterThan(0);
    expect(refused.errors![0]!.extensions!.retryAfterMs).toBeLessThanOrEqual(60_000);
    expect(await countRows(h, 'messages')).toBe(before);
    // the chat's other member still writes
    ok(await send(h, owner, chatId, 'still here'));
  });

  it('limits a chat as a whole, and outsiders cannot spend its allowance', async () => {
    const [owner, a, b, outsider] = [newUser(), newUser(), newUser(), newUser()];
    const chatId = await createGroup(h, owner, [a, b]);
    for (let i = 0; i < 3; i++) expect(codeOf(await send(h, outsider, chatId, `spam ${i}`))).toBe('FORBIDDEN');
    for (const author of [a, a, b, b, owner]) ok(await send(h, author, chatId, 'hello'));
    expect(codeOf(await send(h, owner, chatId, 'sixth'))).toBe('RATE_LIMITED');
  });

  it('counts a refused send against neither limit: not the author’s when the chat refuses, nor the chat’s when the author does', async () => {
    const [owner, a, b] = [newUser(), newUser(), newUser()];
    const chatId = await createGroup(h, owner, [a, b]);
    // b spends the author limit (3) here; the fourth is refused and leaves the chat two of its five.
    for (let i = 0; i < 3; i++) ok(await send(h, b, chatId, `b ${i}`));
    expect(codeOf(await send(h, b, chatId, 'b over'))).toBe('RATE_LIMITED');
    ok(await send(h, owner, chatId, 'owner'));
    ok(await send(h, a, chatId, 'a 1'));
    // The chat is full now: a's refused send does not spend a's own allowance.
    expect(codeOf(await send(h, a, chatId, 'a refused by the chat'))).toBe('RATE_LIMITED');
    const other = await createGroup(h, newUser(), [a]);
    ok(await send(h, a, other, 'a 2'));
    ok(await send(h, a, other, 'a 3'));
    expect(codeOf(await send(h, a, other, 'a 4'))).toBe('RATE_LIMITED');
  });

  it('limits createGroupChat and addMembers per user', async () => {
    const owner = newUser();
    const chatId = await createGroup(h, owner, [newUser()]);
    ok(
      await h.as(owner)(`mutation($c: ID!, $u: [ID!]!) { addMembers(chatId: $c, userIds: $u) { id } }`, {
        c: chatId,
        u: [newUser()],
      }),
    );
    await createGroup(h, owner, []);
    const refused = await h.as(owner)(`mutation { createGroupChat(title: "four", memberIds: []) { id } }`);
    expect(codeOf(refused)).toBe('RATE_LIMITED');
    expect(await createGroup(h, newUser(), [])).toEqual(expect.any(String));
  });
});
