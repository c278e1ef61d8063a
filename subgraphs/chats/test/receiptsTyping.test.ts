/**
 * Read receipts and typing as the chats subgraph publishes them: a moved read marker reaches the chat's other members
 * and the reader's own devices (with the new unread count), a typing state that is not renewed is ended by the
 * server, and typing events name the typist so the gateway keeps them from the typist's own subscriptions.
 */
import Redis from 'ioredis';
import { createGroup, newUser, ok, send, startChats, type ChatsHarness } from './harness';

/** Collects what Redis delivers on some channels. */
function listen(url: string) {
  const client = new Redis(url, { maxRetriesPerRequest: null });
  const received: Array<{ channel: string; payload: any }> = [];
  client.on('message', (channel: string, message: string) => received.push({ channel, payload: JSON.parse(message) }));
  return {
    received,
    subscribe: (...channels: string[]) => client.subscribe(...channels),
    async until(what: string, check: () => boolean, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (!check()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(received)}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    close: () => client.disconnect(),
  };
}

describe('read receipts and typing', () => {
  let h: ChatsHarness;
  beforeAll(async () => {
    h = await startChats({ typingTtlMs: 300 });
  });
  afterAll(async () => {
    await h.close();
  });

  it('a moved read marker goes to the chat (not for the reader) and to the reader with the unread count', async () => {
    const [owner, member] = [newUser(), newUser()];
    const chatId = await createGroup(h, owner, [member]);
    const l = listen(h.config.REDIS_URL);
    await l.subscribe(`receipts:${chatId}`, `user-reads:${member}`);
    ok(await send(h, owner, chatId, 'one'));
    const two = ok(await send(h, owner, chatId, 'two')).sendMessage;
    const markRead = (seq: number) =>
      h.as(member)(`mutation($c: ID!, $s: Int!) { markRead(chatId: $c, seq: $s) { unreadCount } }`, {
        c: chatId,
        s: seq,
      });
    ok(await markRead(two.seq - 1));
    // Not moved (backwards): nothing is published.
    ok(await markRead(1));
    ok(await markRead(two.seq));
    await l.until('four receipts', () => l.received.length >= 4);
    const chat = l.received.filter((r) => r.channel === `receipts:${chatId}`).map((r) => r.payload);
    const own = l.received.filter((r) => r.channel === `user-reads:${member}`).map((r) => r.payload);
    expect(chat.map((p) => [p.lastReadSeq, p.unreadCount, p._exceptViewer, p.user.id])).toEqual([
      [two.seq - 1, null, member, member],
      [two.seq, null, member, member],
    ]);
    expect(own.map((p) => [p.lastReadSeq, p.unreadCount])).toEqual([
      [two.seq - 1, 1],
      [two.seq, 0],
    ]);
    l.close();
  });

  it('ends a typing state that is not renewed, and not one that was stopped', async () => {
    const [owner, member] = [newUser(), newUser()];
    const chatId = await createGroup(h, owner, [member]);
    const l = listen(h.config.REDIS_URL);
    await l.subscribe(`typing:${chatId}`);
    const setTyping = (user: string, typing: boolean) =>
      h.as(user)(`mutation($c: ID!, $t: Boolean!) { setTyping(chatId: $c, typing: $t) }`, { c: chatId, t: typing });
    ok(await setTyping(member, true));
    await l.until('the server ends the typing state', () => l.received.length >= 2);
    expect(l.received.map((r) => [r.payload.user.id, r.payload.typing, r.payload._exceptViewer])).toEqual([
      [member, true, member],
      [member, false, member],
    ]);
    // Stopped by the user: one false, and no second one from the server (the owner's own expiry comes after it).
    ok(await setTyping(owner, true));
    ok(await setTyping(owner, false));
    ok(await setTyping(member, true));
    await l.until('the member typing expires', () => l.received.length >= 6);
    expect(l.received.slice(2).map((r) => [r.payload.user.id, r.payload.typing])).toEqual([
      [owner, true],
      [owner, false],
      [member, true],
      [member, false],
    ]);
    l.close();
  });
});
