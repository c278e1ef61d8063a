import { codeOf, createGroup, newUser, ok, send, startChats, type ChatsHarness } from './harness';

let h: ChatsHarness;
beforeAll(async () => {
  h = await startChats();
});
afterAll(async () => {
  await h.close();
});

interface MessagesPage {
  chat: {
    messages: {
      nodes: Array<{ seq: number; text: string | null; deleted: boolean }>;
      edges: Array<{ cursor: string }>;
      pageInfo: {
        hasNextPage: boolean;
        hasPreviousPage: boolean;
        startCursor: string | null;
        endCursor: string | null;
      };
    };
  };
}
const PAGE = `query($c: ID!, $first: Int, $after: String, $last: Int, $before: String) {
  chat(id: $c) {
    messages(first: $first, after: $after, last: $last, before: $before) {
      nodes { seq text deleted }
      edges { cursor }
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    }
  }
}`;

describe('history', () => {
  let owner: string;
  let chatId: string;
  const texts = Array.from({ length: 120 }, (_, i) => `message ${i + 1}`);
  let deletedSeq: number;

  beforeAll(async () => {
    owner = newUser();
    chatId = await createGroup(h, owner, []);
    for (const t of texts) ok(await send(h, owner, chatId, t));
    // message 60 is deleted: it stays in the history as deleted (seq 61: seq 1 is the owner joining)
    const page = ok(
      await h.as(owner)<MessagesPage & { chat: { messages: { nodes: Array<{ id?: string }> } } }>(PAGE, {
        c: chatId,
        first: 60,
      }),
    );
    deletedSeq = page.chat.messages.nodes[59]!.seq;
    const ids = ok(
      await h.as(owner)<{ chat: { messages: { nodes: Array<{ id: string; seq: number }> } } }>(
        `query($c: ID!) { chat(id: $c) { messages(first: 60) { nodes { id seq } } } }`,
        { c: chatId },
      ),
    );
    ok(
      await h.as(owner)(`mutation($m: ID!) { deleteMessage(messageId: $m) { id } }`, {
        m: ids.chat.messages.nodes[59]!.id,
      }),
    );
  });

  it('by default returns the newest 50, oldest first', async () => {
    const page = ok(await h.as(owner)<MessagesPage>(PAGE, { c: chatId })).chat.messages;
    expect(page.nodes.map((m) => m.text)).toEqual(texts.slice(70));
    expect(page.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: false });
  });

  it('pages backwards to the beginning without gaps, deleted messages shown as deleted', async () => {
    const seen: Array<{ seq: number; text: string | null; deleted: boolean }> = [];
    let before: string | null = null;
    for (;;) {
      const page: MessagesPage['chat']['messages'] = ok(
        await h.as(owner)<MessagesPage>(PAGE, { c: chatId, last: 30, before }),
      ).chat.messages;
      seen.unshift(...page.nodes);
      if (!page.pageInfo.hasPreviousPage) break;
      before = page.pageInfo.startCursor;
    }
    expect(seen.map((m) => m.seq)).toEqual(Array.from({ length: 120 }, (_, i) => i + 2));
    const gone = seen.find((m) => m.seq === deletedSeq)!;
    expect(gone).toEqual({ seq: deletedSeq, text: null, deleted: true });
    expect(seen.filter((m) => m.deleted)).toHaveLength(1);
  });

  it('pages forwards from the start', async () => {
    const seen: number[] = [];
    let after: string | null = null;
    for (;;) {
      const page: MessagesPage['chat']['messages'] = ok(
        await h.as(owner)<MessagesPage>(PAGE, { c: chatId, first: 100, after }),
      ).chat.messages;
      seen.push(...page.nodes.map((m) => m.seq));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(seen).toEqual(Array.from({ length: 120 }, (_, i) => i + 2));
  });

  it('edges carry cursors that resume exactly after their message', async () => {
    const page = ok(await h.as(owner)<MessagesPage>(PAGE, { c: chatId, first: 3 })).chat.messages;
    const next = ok(await h.as(owner)<MessagesPage>(PAGE, { c: chatId, first: 1, after: page.edges[1]!.cursor })).chat
      .messages;
    expect(next.nodes[0]!.seq).toBe(page.nodes[2]!.seq);
  });

  it('chatEventsSince pages the log with a limit', async () => {
    const q = `query($c: ID!, $a: Int!, $l: Int) { chatEventsSince(chatId: $c, afterSeq: $a, limit: $l) { seq } }`;
    const first = ok(
      await h.as(owner)<{ chatEventsSince: Array<{ seq: number }> }>(q, { c: chatId, a: 0 }),
    ).chatEventsSince;
    expect(first.map((e) => e.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    const rest = ok(
      await h.as(owner)<{ chatEventsSince: Array<{ seq: number }> }>(q, { c: chatId, a: 100, l: 500 }),
    ).chatEventsSince;
    expect(rest.map((e) => e.seq)).toEqual(Array.from({ length: 22 }, (_, i) => i + 101));
    const none = ok(await h.as(owner)<{ chatEventsSince: unknown[] }>(q, { c: chatId, a: 122 })).chatEventsSince;
    expect(none).toEqual([]);
  });

  it('a history page with authors costs one statement on the chat shard', async () => {
    const shard = h.dbs.chats.shardFor(BigInt(chatId)).index;
    const before = h.dbs.chats.statementCounts();
    ok(
      await h.as(owner)(
        `query($c: ID!) { chat(id: $c) { messages(last: 50) { nodes { id author { id } chat { id } } } } }`,
        { c: chatId },
      ),
    );
    const after = h.dbs.chats.statementCounts();
    // the chat with the viewer's membership, then the page; Message.chat comes from the loader's cache
    expect(after.map((n, i) => n - before[i]!)).toEqual(after.map((_, i) => (i === shard ? 2 : 0)));
  });
});

describe('messages', () => {
  it('edit records MESSAGE_EDITED; editing a deleted message is a CONFLICT; deleting twice writes one event', async () => {
    const a = newUser();
    const chatId = await createGroup(h, a, []);
    const m = ok(await send(h, a, chatId, 'first')).sendMessage;
    const edited = ok(
      await h.as(a)<{ editMessage: { text: string; editedAt: string | null; seq: number } }>(
        `mutation($m: ID!) { editMessage(messageId: $m, text: "second") { text editedAt seq } }`,
        { m: m.id },
      ),
    ).editMessage;
    expect(edited.text).toBe('second');
    expect(edited.editedAt).not.toBeNull();
    expect(edited.seq).toBe(m.seq);
    const del = `mutation($m: ID!) { deleteMessage(messageId: $m) { deleted text } }`;
    expect(ok(await h.as(a)<{ deleteMessage: unknown }>(del, { m: m.id })).deleteMessage).toEqual({
      deleted: true,
      text: null,
    });
    expect(ok(await h.as(a)<{ deleteMessage: unknown }>(del, { m: m.id })).deleteMessage).toEqual({
      deleted: true,
      text: null,
    });
    expect(
      codeOf(await h.as(a)(`mutation($m: ID!) { editMessage(messageId: $m, text: "third") { id } }`, { m: m.id })),
    ).toBe('CONFLICT');
    const events = ok(
      await h.as(a)<{ chatEventsSince: Array<{ type: string }> }>(
        `query($c: ID!) { chatEventsSince(chatId: $c, afterSeq: 0) { type } }`,
        {
          c: chatId,
        },
      ),
    ).chatEventsSince;
    expect(events.map((e) => e.type)).toEqual(['MEMBER_ADDED', 'MESSAGE_ADDED', 'MESSAGE_EDITED', 'MESSAGE_DELETED']);
    // a retry of the deleted message's send returns it (deleted) instead of sending it again
    const retry = ok(await send(h, a, chatId, 'first', 'ignored'));
    expect(retry.sendMessage.seq).toBe(5);
  });

  it("Message entities resolve for members (the gateway's _entities)", async () => {
    const a = newUser();
    const chatId = await createGroup(h, a, []);
    const m = ok(await send(h, a, chatId, 'by key')).sendMessage;
    const res = ok(
      await h.as(a)<{ _entities: Array<{ text: string; chat: { id: string; title: string } }> }>(
        `query($r: [_Any!]!) { _entities(representations: $r) { ... on Message { text chat { id title } } } }`,
        { r: [{ __typename: 'Message', id: m.id }] },
      ),
    );
    expect(res._entities[0]).toEqual({ text: 'by key', chat: { id: chatId, title: 'Test group' } });
  });
});

describe('membership', () => {
  it('the owner leaving hands ownership to the oldest admin-less member', async () => {
    const owner = newUser();
    const first = newUser();
    const second = newUser();
    const chatId = await createGroup(h, owner, [first]);
    ok(
      await h.as(owner)(`mutation($c: ID!, $u: ID!) { addMembers(chatId: $c, userIds: [$u]) { id } }`, {
        c: chatId,
        u: second,
      }),
    );
    ok(await h.as(owner)(`mutation($c: ID!) { leaveChat(chatId: $c) }`, { c: chatId }));
    const chat = ok(
      await h.as(second)<{ chat: { members: Array<{ user: { id: string }; role: string }> } }>(
        `query($c: ID!) { chat(id: $c) { members { user { id } role } } }`,
        { c: chatId },
      ),
    ).chat;
    expect(chat.members).toEqual([
      { user: { id: first }, role: 'OWNER' },
      { user: { id: second }, role: 'MEMBER' },
    ]);
    // the new owner can manage the chat
    ok(await h.as(first)(`mutation($c: ID!) { renameChat(chatId: $c, title: "mine") { id } }`, { c: chatId }));
    ok(
      await h.as(first)(`mutation($c: ID!, $u: ID!) { removeMember(chatId: $c, userId: $u) { id } }`, {
        c: chatId,
        u: second,
      }),
    );
    expect(codeOf(await h.as(second)(`query($c: ID!) { chat(id: $c) { id } }`, { c: chatId }))).toBe('FORBIDDEN');
  });

  it('adding members that are already in is a no-op; removing a non-member is NOT_FOUND', async () => {
    const owner = newUser();
    const m = newUser();
    const chatId = await createGroup(h, owner, [m]);
    const res = ok(
      await h.as(owner)<{ addMembers: { lastSeq: number; members: unknown[] } }>(
        `mutation($c: ID!, $u: ID!) { addMembers(chatId: $c, userIds: [$u]) { lastSeq members { role } } }`,
        { c: chatId, u: m },
      ),
    );
    expect(res.addMembers).toEqual({ lastSeq: 2, members: [{ role: 'OWNER' }, { role: 'MEMBER' }] });
    const gone = await h.as(owner)(`mutation($c: ID!, $u: ID!) { removeMember(chatId: $c, userId: $u) { id } }`, {
      c: chatId,
      u: newUser(),
    });
    expect(gone.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'userId' });
  });

  it('the owner cannot be removed', async () => {
    const owner = newUser();
    const m = newUser();
    const chatId = await createGroup(h, owner, [m]);
    // make m an admin directly: there is no promote mutation in the public API yet
    await h.dbs.chats.clientFor(BigInt(chatId)).$executeRaw`
      UPDATE chat_members SET role = 'ADMIN' WHERE chat_id = ${BigInt(chatId)} AND user_id = ${BigInt(m)}`;
    expect(
      codeOf(
        await h.as(m)(`mutation($c: ID!, $u: ID!) { removeMember(chatId: $c, userId: $u) { id } }`, {
          c: chatId,
          u: owner,
        }),
      ),
    ).toBe('FORBIDDEN');
    const other = newUser();
    ok(
      await h.as(m)(`mutation($c: ID!, $u: ID!) { addMembers(chatId: $c, userIds: [$u]) { id } }`, {
        c: chatId,
        u: other,
      }),
    );
    ok(
      await h.as(m)(`mutation($c: ID!, $u: ID!) { removeMember(chatId: $c, userId: $u) { id } }`, {
        c: chatId,
        u: other,
      }),
    );
  });

  it("a send racing the sender's removal never lands after the removal", async () => {
    for (let round = 0; round < 5; round++) {
      const owner = newUser();
      const member = newUser();
      const chatId = await createGroup(h, owner, [member]);
      const sends = Array.from({ length: 15 }, (_, i) => send(h, member, chatId, `racing ${i}`));
      const removal = h.as(owner)(`mutation($c: ID!, $u: ID!) { removeMember(chatId: $c, userId: $u) { id } }`, {
        c: chatId,
        u: member,
      });
      const results = await Promise.all(sends);
      ok(await removal);
      for (const r of results) if (r.errors) expect(codeOf(r)).toBe('FORBIDDEN');
      const events = ok(
        await h.as(owner)<{ chatEventsSince: Array<{ seq: number; type: string }> }>(
          `query($c: ID!) { chatEventsSince(chatId: $c, afterSeq: 0, limit: 500) { seq type } }`,
          { c: chatId },
        ),
      ).chatEventsSince;
      const removedAt = events.find((e) => e.type === 'MEMBER_REMOVED')!.seq;
      expect(events.filter((e) => e.type === 'MESSAGE_ADDED' && e.seq > removedAt)).toEqual([]);
      expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
      expect(events.filter((e) => e.type === 'MESSAGE_ADDED')).toHaveLength(results.filter((r) => !r.errors).length);
    }
  });

  it("a send that starts while the sender's removal is uncommitted is refused once the removal commits", async () => {
    const owner = newUser();
    const member = newUser();
    const chatId = await createGroup(h, owner, [member]);
    const pool = h.dbs.chats.poolAt(h.dbs.chats.shardFor(BigInt(chatId)).index);
    const removal = await pool.connect();
    try {
      // the removal as MembershipStore does it: the member row, then the chat row, left open for a moment
      await removal.query('BEGIN');
      await removal.query('DELETE FROM chat_members WHERE chat_id = $1 AND user_id = $2', [chatId, member]);
      await removal.query(
        `WITH b AS (UPDATE chats SET last_seq = last_seq + 1 WHERE id = $1 RETURNING last_seq)
         INSERT INTO chat_events (chat_id, seq, type, actor_id, member_user_id) SELECT $1, last_seq, 'MEMBER_REMOVED', $2, $3 FROM b`,
        [chatId, owner, member],
      );
      const pending = h.stores.messages.send(BigInt(chatId), BigInt(member), 'too late', 'late-1').then(
        () => 'sent',
        (err: { extensions?: { code?: string } }) => err.extensions?.code,
      );
      await new Promise((r) => setTimeout(r, 300)); // let the send reach its lock wait
      await removal.query('COMMIT');
      expect(await pending).toBe('FORBIDDEN');
    } finally {
      removal.release();
    }
    const events = ok(
      await h.as(owner)<{ chatEventsSince: Array<{ seq: number; type: string }> }>(
        `query($c: ID!) { chatEventsSince(chatId: $c, afterSeq: 0) { seq type } }`,
        { c: chatId },
      ),
    ).chatEventsSince;
    expect(events.map((e) => e.type)).toEqual(['MEMBER_ADDED', 'MEMBER_ADDED', 'MEMBER_REMOVED']);
  });
});
