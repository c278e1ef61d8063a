import { createGroup, newUser, ok, send, startChats, type ChatsHarness } from './harness';

let h: ChatsHarness;
beforeAll(async () => {
  h = await startChats();
});
afterAll(async () => {
  await h.close();
});

it('smoke', async () => {
  const a = newUser();
  const b = newUser();
  const chatId = await createGroup(h, a, [b]);
  const sent = ok(await send(h, a, chatId, 'hello'));
  console.log(sent);
  const res = await h.as(b)(`query($c: ID!) { chat(id: $c) { id kind title lastSeq unreadCount viewerLastReadSeq members { user { id } role lastReadSeq joinedAt } messages { nodes { id seq text author { id } chat { id title } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }
    chatEventsSince(chatId: $c, afterSeq: 0) { seq type chatId at actor { id } member { user { id } role } message { id text } }
    myChats { nodes { id lastSeq unreadCount } } }`, { c: chatId });
  console.log(JSON.stringify(res, null, 1));
  const d = ok(await h.as(a)(`mutation($b: ID!) { createDirectChat(userId: $b) { id kind members { user { id } } } }`, { b }));
  console.log(JSON.stringify(d));
});
