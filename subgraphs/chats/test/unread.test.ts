import { randomInt } from 'node:crypto';
import { createGroup, newUser, ok, send, startChats, type ChatsHarness } from './harness';

let h: ChatsHarness;
beforeAll(async () => {
  h = await startChats();
});
afterAll(async () => {
  await h.close();
});

interface ChatState {
  unreadCount: number;
  viewerLastReadSeq: number;
  lastSeq: number;
}

/** The viewer's unread count and read marker, as `chat` shows them. */
async function state(viewer: string, chatId: string): Promise<ChatState> {
  return ok(
    await h.as(viewer)<{ chat: ChatState }>(
      `query($c: ID!) { chat(id: $c) { unreadCount viewerLastReadSeq lastSeq } }`,
      {
        c: chatId,
      },
    ),
  ).chat;
}

/** The viewer's unread count as their chat list shows it. */
async function listed(viewer: string, chatId: string): Promise<number | undefined> {
  const page = ok(
    await h.as(viewer)<{ myChats: { nodes: Array<{ id: string; unreadCount: number }> } }>(
      `query { myChats(first: 100) { nodes { id unreadCount } } }`,
    ),
  );
  return page.myChats.nodes.find((c) => c.id === chatId)?.unreadCount;
}

/**
 * What the unread count must be, recounted from what the viewer can read: the whole history (paged through the API)
 * and their read marker: messages by others after the marker, not deleted.
 */
async function recount(viewer: string, chatId: string): Promise<number> {
  const { viewerLastReadSeq } = await state(viewer, chatId);
  let after: string | null = null;
  let unread = 0;
  for (;;) {
    const page: {
      chat: {
        messages: {
          nodes: Array<{ seq: number; deleted: boolean; author: { id: string } }>;
          pageInfo: { hasNextPage: boolean; endCursor: string | null };
        };
      };
    } = ok(
      await h.as(viewer)(
        `query($c: ID!, $after: String) { chat(id: $c) { messages(first: 100, after: $after) {
           nodes { seq deleted author { id } } pageInfo { hasNextPage endCursor } } } }`,
        { c: chatId, after },
      ),
    );
    for (const m of page.chat.messages.nodes)
      if (m.seq > viewerLastReadSeq && m.author.id !== viewer && !m.deleted) unread++;
    if (!page.chat.messages.pageInfo.hasNextPage) return unread;
    after = page.chat.messages.pageInfo.endCursor;
  }
}

async function markRead(viewer: string, chatId: string, seq: number) {
  return ok(
    await h.as(viewer)<{ markRead: { viewerLastReadSeq: number; unreadCount: number } }>(
      `mutation($c: ID!, $s: Int!) { markRead(chatId: $c, seq: $s) { viewerLastReadSeq unreadCount } }`,
      { c: chatId, s: seq },
    ),
  ).markRead;
}

async function deleteMessage(actor: string, messageId: string) {
  ok(await h.as(actor)(`mutation($m: ID!) { deleteMessage(messageId: $m) { id } }`, { m: messageId }));
}

async function sendMany(author: string, chatId: string, n: number, prefix = 'm') {
  const sent: Array<{ id: string; seq: number }> = [];
  for (let i = 0; i < n; i++) sent.push(ok(await send(h, author, chatId, `${prefix} ${i}`)).sendMessage);
  return sent;
}

describe('unread counts', () => {
  it('count every message of two concurrent senders, and never the reader’s own', async () => {
    const [owner, a, b] = [newUser(), newUser(), newUser()];
    const chatId = await createGroup(h, owner, [a, b]);
    await Promise.all([sendMany(a, chatId, 15, 'from a'), sendMany(b, chatId, 15, 'from b')]);
    expect((await state(owner, chatId)).unreadCount).toBe(30);
    expect((await state(a, chatId)).unreadCount).toBe(15);
    expect((await state(b, chatId)).unreadCount).toBe(15);
    expect(await listed(owner, chatId)).toBe(30);
    for (const u of [owner, a, b]) expect((await state(u, chatId)).unreadCount).toBe(await recount(u, chatId));
  });

  it('do not change on edits; a deleted unread message stops counting, a deleted read one changes nothing', async () => {
    const [owner, reader] = [newUser(), newUser()];
    const chatId = await createGroup(h, owner, [reader]);
    const sent = await sendMany(owner, chatId, 6);
    ok(
      await h.as(owner)(`mutation($m: ID!) { editMessage(messageId: $m, text: "edited") { id } }`, { m: sent[5]!.id }),
    );
    expect((await state(reader, chatId)).unreadCount).toBe(6);
    expect((await markRead(reader, chatId, sent[2]!.seq)).unreadCount).toBe(3);
    await deleteMessage(owner, sent[1]!.id); // already read
    expect((await state(reader, chatId)).unreadCount).toBe(3);
    await deleteMessage(owner, sent[4]!.id); // unread
    expect((await state(reader, chatId)).unreadCount).toBe(2);
    expect(await listed(reader, chatId)).toBe(2);
    // moving the marker past a deleted message and back before none: still exact
    expect((await markRead(reader, chatId, sent[3]!.seq)).unreadCount).toBe(1);
    expect((await markRead(reader, chatId, sent[5]!.seq)).unreadCount).toBe(0);
  });

  it('count a message an admin deletes as gone for everyone who had not read it, and not for its author', async () => {
    const [owner, author, reader] = [newUser(), newUser(), newUser()];
    const chatId = await createGroup(h, owner, [author, reader]);
    const [own] = await sendMany(reader, chatId, 1, 'mine');
    const theirs = await sendMany(author, chatId, 2, 'theirs');
    await deleteMessage(owner, theirs[0]!.id);
    await deleteMessage(owner, own!.id);
    expect((await state(reader, chatId)).unreadCount).toBe(1);
    expect((await state(owner, chatId)).unreadCount).toBe(1);
    expect((await state(author, chatId)).unreadCount).toBe(0);
  });

  it('take the higher of two concurrent markRead calls from two devices, with the count after it', async () => {
    const [owner, reader] = [newUser(), newUser()];
    const chatId = await createGroup(h, owner, [reader]);
    const sent = await sendMany(owner, chatId, 20);
    for (let round = 0; round < 6; round++) {
      const low = sent[round * 2]!.seq;
      const high = sent[round * 2 + 1 + randomInt(3)]!.seq;
      const calls = [markRead(reader, chatId, low), markRead(reader, chatId, high)];
      if (round % 2) calls.reverse();
      await Promise.all(calls);
      const now = await state(reader, chatId);
      expect(now.viewerLastReadSeq).toBe(high);
      expect(now.unreadCount).toBe(sent.filter((m) => m.seq > high).length);
    }
  });

  it('start at nothing for a new member, and a removed and re-added member counts only what came after', async () => {
    const [owner, member] = [newUser(), newUser()];
    const chatId = await createGroup(h, owner, []);
    await sendMany(owner, chatId, 5, 'before');
    const add = async () =>
      ok(
        await h.as(owner)(`mutation($c: ID!, $u: ID!) { addMembers(chatId: $c, userIds: [$u]) { id } }`, {
          c: chatId,
          u: member,
        }),
      );
    await add();
    expect(await state(member, chatId)).toMatchObject({ unreadCount: 0 });
    await sendMany(member, chatId, 3, 'mine');
    await sendMany(owner, chatId, 2, 'while in');
    expect((await state(member, chatId)).unreadCount).toBe(2);

    ok(
      await h.as(owner)(`mutation($c: ID!, $u: ID!) { removeMember(chatId: $c, userId: $u) { id } }`, {
        c: chatId,
        u: member,
      }),
    );
    await sendMany(owner, chatId, 4, 'while out');
    await add();
    const back = await state(member, chatId);
    // the marker is where the chat stood when they were added (their MEMBER_ADDED event is the next seq)
    expect(back).toMatchObject({ unreadCount: 0, viewerLastReadSeq: back.lastSeq - 1 });
    // their earlier messages are still theirs: only the owner's new ones count
    await sendMany(member, chatId, 1, 'mine again');
    await sendMany(owner, chatId, 2, 'after');
    expect((await state(member, chatId)).unreadCount).toBe(2);
    expect((await state(owner, chatId)).unreadCount).toBe(await recount(owner, chatId));
    expect((await state(member, chatId)).unreadCount).toBe(await recount(member, chatId));
  });

  it('stay exact under a concurrent mix of sends, deletes and markRead calls', async () => {
    const users = [newUser(), newUser(), newUser()];
    const chatId = await createGroup(h, users[0]!, users.slice(1));
    const sent: Array<{ id: string; seq: number; author: string }> = [];
    const worker = async (me: string) => {
      for (let i = 0; i < 25; i++) {
        const roll = randomInt(10);
        if (roll < 6 || sent.length === 0) {
          const m = ok(await send(h, me, chatId, `mix ${i}`)).sendMessage;
          sent.push({ ...m, author: me });
        } else if (roll < 8) {
          const own = sent.filter((m) => m.author === me);
          if (own.length > 0) await deleteMessage(me, own[randomInt(own.length)]!.id);
        } else {
          await markRead(me, chatId, sent[randomInt(sent.length)]!.seq);
        }
      }
    };
    await Promise.all(users.map(worker));
    for (const u of users) {
      const counted = await recount(u, chatId);
      expect((await state(u, chatId)).unreadCount).toBe(counted);
      expect(await listed(u, chatId)).toBe(counted);
    }
  });
});
