import { createGroup, newUser, ok, send, startChats, userOnShard, type ChatsHarness } from './harness';

let h: ChatsHarness;
beforeAll(async () => {
  h = await startChats();
});
afterAll(async () => {
  await h.close();
});

interface ChatNode {
  id: string;
  lastSeq: number;
  unreadCount: number;
  viewerLastReadSeq: number;
}
interface Page {
  myChats: {
    nodes: ChatNode[];
    edges: Array<{ cursor: string }>;
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
  };
}
const MY_CHATS = `query($first: Int, $after: String) {
  myChats(first: $first, after: $after) {
    nodes { id lastSeq unreadCount viewerLastReadSeq }
    edges { cursor }
    pageInfo { hasNextPage endCursor }
  }
}`;

/** Creates group chats of `viewer` until every one of the 4 shards holds at least one; returns them oldest first. */
async function chatsOnAllShards(viewer: string, other: string): Promise<string[]> {
  const chats: string[] = [];
  const shards = new Set<number>();
  while (shards.size < 4 || chats.length < 6) {
    const id = await createGroup(h, other, [viewer], `g${chats.length}`);
    chats.push(id);
    shards.add(h.dbs.chats.shardFor(BigInt(id)).index);
  }
  return chats;
}

describe('myChats', () => {
  it("reads only the viewer's shard plus one batch per chat shard", async () => {
    const viewer = userOnShard(0);
    const other = newUser();
    const chats = await chatsOnAllShards(viewer, other);
    const before = h.dbs.chats.statementCounts();
    const page = ok(await h.as(viewer)<Page>(MY_CHATS, { first: 100 }));
    const after = h.dbs.chats.statementCounts();
    expect(new Set(page.myChats.nodes.map((c) => c.id))).toEqual(new Set(chats));
    // shard 0: the index read + its chats' batch; every other shard: one batch
    expect(after.map((n, i) => n - before[i]!)).toEqual([2, 1, 1, 1]);

    // members and unread counts for every chat: one more batch per shard (DataLoader), never one per chat
    const b2 = h.dbs.chats.statementCounts();
    ok(await h.as(viewer)(`query { myChats(first: 100) { nodes { id unreadCount members { user { id } role } } } }`));
    const a2 = h.dbs.chats.statementCounts();
    expect(a2.map((n, i) => n - b2[i]!)).toEqual([3, 2, 2, 2]);
  });

  it('a viewer without chats costs one statement on their own shard', async () => {
    const viewer = userOnShard(2);
    const before = h.dbs.chats.statementCounts();
    const page = ok(await h.as(viewer)<Page>(MY_CHATS, {}));
    const after = h.dbs.chats.statementCounts();
    expect(page.myChats.nodes).toEqual([]);
    expect(page.myChats.pageInfo.hasNextPage).toBe(false);
    expect(after.map((n, i) => n - before[i]!)).toEqual([0, 0, 1, 0]);
  });

  it('is ordered by latest activity and pages through every chat exactly once', async () => {
    const viewer = newUser();
    const other = newUser();
    const chats = await chatsOnAllShards(viewer, other);
    // activity in a known order: the last one sent to is the newest
    const order = [...chats].sort(() => Math.random() - 0.5);
    for (const id of order) ok(await send(h, other, id, 'bump'));
    const expected = [...order].reverse();

    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page: Page = ok(await h.as(viewer)<Page>(MY_CHATS, { first: 2, after }));
      seen.push(...page.myChats.nodes.map((c) => c.id));
      if (!page.myChats.pageInfo.hasNextPage) break;
      after = page.myChats.pageInfo.endCursor;
    }
    expect(seen).toEqual(expected);
  });

  it('counts unread messages of others after the read marker, not deleted ones; markRead only moves forward', async () => {
    const viewer = newUser();
    const other = newUser();
    const chatId = await createGroup(h, other, [viewer]);
    const m1 = ok(await send(h, other, chatId, 'one')).sendMessage;
    ok(await send(h, other, chatId, 'two'));
    const m3 = ok(await send(h, other, chatId, 'three')).sendMessage;
    ok(await send(h, viewer, chatId, 'my own does not count'));
    ok(await h.as(other)(`mutation($m: ID!) { deleteMessage(messageId: $m) { id } }`, { m: m3.id }));
    const unread = async () => ok(await h.as(viewer)<Page>(MY_CHATS, {})).myChats.nodes.find((c) => c.id === chatId)!;
    expect((await unread()).unreadCount).toBe(2);

    const marked = ok(
      await h.as(viewer)<{ markRead: { viewerLastReadSeq: number; unreadCount: number } }>(
        `mutation($c: ID!, $s: Int!) { markRead(chatId: $c, seq: $s) { viewerLastReadSeq unreadCount } }`,
        { c: chatId, s: m1.seq },
      ),
    );
    expect(marked.markRead).toEqual({ viewerLastReadSeq: m1.seq, unreadCount: 1 });
    const back = ok(
      await h.as(viewer)<{ markRead: { viewerLastReadSeq: number } }>(
        `mutation($c: ID!) { markRead(chatId: $c, seq: 0) { viewerLastReadSeq } }`,
        { c: chatId },
      ),
    );
    expect(back.markRead.viewerLastReadSeq).toBe(m1.seq);
    const state = await unread();
    expect(state.viewerLastReadSeq).toBe(m1.seq);
    expect(state.unreadCount).toBe(1);
    const members = ok(
      await h.as(other)<{ chat: { members: Array<{ user: { id: string }; lastReadSeq: number }> } }>(
        `query($c: ID!) { chat(id: $c) { members { user { id } lastReadSeq } } }`,
        { c: chatId },
      ),
    );
    expect(members.chat.members.find((m) => m.user.id === viewer)!.lastReadSeq).toBe(m1.seq);
  });

  it('skips a chat whose index row outlived the membership', async () => {
    const viewer = newUser();
    const other = newUser();
    const kept = await createGroup(h, other, [viewer]);
    const stale = await createGroup(h, other, []);
    await h.dbs.chats.clientFor(BigInt(viewer)).$executeRaw`
      INSERT INTO user_chats (user_id, chat_id) VALUES (${BigInt(viewer)}, ${BigInt(stale)})`;
    const page = ok(await h.as(viewer)<Page>(MY_CHATS, {}));
    expect(page.myChats.nodes.map((c) => c.id)).toEqual([kept]);
  });
});

describe('direct chats', () => {
  it('concurrent createDirectChat calls from both sides return one chat with both members', async () => {
    const a = newUser();
    const b = newUser();
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        h.as(i % 2 ? a : b)<{
          createDirectChat: { id: string; kind: string; members: Array<{ user: { id: string } }> };
        }>(`mutation($u: ID!) { createDirectChat(userId: $u) { id kind members { user { id } } } }`, {
          u: i % 2 ? b : a,
        }),
      ),
    );
    const ids = new Set(results.map((r) => ok(r).createDirectChat.id));
    expect(ids.size).toBe(1);
    const chat = ok(results[0]!).createDirectChat;
    expect(chat.kind).toBe('DIRECT');
    expect(new Set(chat.members.map((m) => m.user.id))).toEqual(new Set([a, b]));
    const events = ok(
      await h.as(a)<{ chatEventsSince: Array<{ seq: number; type: string }> }>(
        `query($c: ID!) { chatEventsSince(chatId: $c, afterSeq: 0) { seq type } }`,
        { c: chat.id },
      ),
    );
    expect(events.chatEventsSince).toEqual([
      { seq: 1, type: 'MEMBER_ADDED' },
      { seq: 2, type: 'MEMBER_ADDED' },
    ]);
    for (const u of [a, b])
      expect(ok(await h.as(u)<Page>(MY_CHATS, {})).myChats.nodes.map((c) => c.id)).toEqual([chat.id]);
  });

  it('after leaving, createDirectChat brings the chat back with both members', async () => {
    const a = newUser();
    const b = newUser();
    const q = `mutation($u: ID!) { createDirectChat(userId: $u) { id members { user { id } } } }`;
    const first = ok(await h.as(a)<{ createDirectChat: { id: string } }>(q, { u: b })).createDirectChat.id;
    ok(await h.as(b)(`mutation($c: ID!) { leaveChat(chatId: $c) }`, { c: first }));
    expect(ok(await h.as(b)<Page>(MY_CHATS, {})).myChats.nodes).toEqual([]);
    const again = ok(
      await h.as(a)<{ createDirectChat: { id: string; members: Array<{ user: { id: string } }> } }>(q, { u: b }),
    );
    expect(again.createDirectChat.id).toBe(first);
    expect(again.createDirectChat.members).toHaveLength(2);
    expect(ok(await h.as(b)<Page>(MY_CHATS, {})).myChats.nodes.map((c) => c.id)).toEqual([first]);
  });
});
