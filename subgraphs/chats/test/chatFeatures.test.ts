/**
 * Replies and threads, reactions, mentions and pins on the chats subgraph over real Postgres shards and Redis: what
 * a member sees, what others are refused (with which code), what each change appends to the chat's log, and what a
 * page costs in statements.
 */
import { codeOf, createGroup, newUser, ok, send, startChats, type ChatsHarness } from './harness';
import type { UserDirectory } from '../src/users/UserDirectory';

/** A directory that knows some usernames (every id exists). */
class Names implements UserDirectory {
  readonly byName = new Map<string, string>();
  assertExist = async () => undefined;
  idsByUsernames = async (names: readonly string[]) =>
    names.flatMap((n) => (this.byName.has(n) ? [BigInt(this.byName.get(n)!)] : []));
  usersBlocking = async () => [];
}

const MESSAGE = `id seq text replyToId threadRootId replyCount pinned mentions { id }
  replyTo { id text } threadRoot { id }
  reactions { emoji count viewerReacted users { id } }`;

interface Msg {
  id: string;
  seq: number;
  text: string | null;
  replyToId: string | null;
  threadRootId: string | null;
  replyCount: number;
  pinned: boolean;
  mentions: Array<{ id: string }>;
  replyTo: { id: string; text: string | null } | null;
  threadRoot: { id: string } | null;
  reactions: Array<{ emoji: string; count: number; viewerReacted: boolean; users: Array<{ id: string }> }>;
}

describe('chat features', () => {
  const names = new Names();
  let h: ChatsHarness;
  let n = 0;
  beforeAll(async () => {
    h = await startChats({ users: names });
  });
  afterAll(async () => {
    await h.close();
  });

  const reply = (user: string, chatId: string, text: string, replyToId: string) =>
    h.as(user)<{ sendMessage: Msg }>(
      `mutation($c: ID!, $t: String!, $k: String!, $r: ID) {
         sendMessage(chatId: $c, text: $t, clientMessageId: $k, replyToId: $r) { ${MESSAGE} } }`,
      { c: chatId, t: text, k: `r${n++}`, r: replyToId },
    );
  const message = async (user: string, id: string) => {
    const res = await h.as(user)<{ _entities: Msg[] }>(
      `query($r: [_Any!]!) { _entities(representations: $r) { ... on Message { ${MESSAGE} } } }`,
      { r: [{ __typename: 'Message', id }] },
    );
    return ok(res)._entities[0]!;
  };
  const events = async (user: string, chatId: string, afterSeq: number) =>
    ok(
      await h.as(user)<{ chatEventsSince: Array<{ seq: number; type: string; emoji: string | null; message: Msg }> }>(
        `query($c: ID!, $a: Int!) { chatEventsSince(chatId: $c, afterSeq: $a) { seq type emoji actor { id } message { ${MESSAGE} } } }`,
        { c: chatId, a: afterSeq },
      ),
    ).chatEventsSince;
  const lastSeq = async (user: string, chatId: string) =>
    ok(await h.as(user)<{ chat: { lastSeq: number } }>(`query($c: ID!) { chat(id: $c) { lastSeq } }`, { c: chatId }))
      .chat.lastSeq;
  /** Statements each shard ran during `work`. */
  const statements = async (work: () => Promise<unknown>) => {
    const before = h.dbs.chats.statementCounts();
    await work();
    return h.dbs.chats.statementCounts().map((count, i) => count - before[i]!);
  };

  describe('replies and threads', () => {
    it('a reply names its message and thread; replies to replies join the thread; the root counts them', async () => {
      const [owner, member] = [newUser(), newUser()];
      const chatId = await createGroup(h, owner, [member]);
      const root = ok(await send(h, owner, chatId, 'root')).sendMessage;
      const first = ok(await reply(member, chatId, 'first reply', root.id)).sendMessage;
      expect(first).toMatchObject({
        replyToId: root.id,
        threadRootId: root.id,
        replyTo: { id: root.id, text: 'root' },
      });
      const second = ok(await reply(owner, chatId, 'reply to the reply', first.id)).sendMessage;
      expect(second).toMatchObject({ replyToId: first.id, threadRootId: root.id, threadRoot: { id: root.id } });

      expect(await message(member, root.id)).toMatchObject({ replyCount: 2, replyToId: null, threadRoot: null });
      const thread = await h.as(member)<{
        _entities: Array<{ replies: { nodes: Array<{ id: string }>; pageInfo: { hasPreviousPage: boolean } } }>;
      }>(
        `query($r: [_Any!]!) { _entities(representations: $r) { ... on Message {
           replies(last: 1) { nodes { id } pageInfo { hasPreviousPage } } } } }`,
        { r: [{ __typename: 'Message', id: root.id }] },
      );
      expect(ok(thread)._entities[0]!.replies).toEqual({
        nodes: [{ id: second.id }],
        pageInfo: { hasPreviousPage: true },
      });
      // The MESSAGE_ADDED event of a reply carries it, as the log gives it back.
      const logged = await events(owner, chatId, second.seq - 1);
      expect(logged[0]).toMatchObject({ type: 'MESSAGE_ADDED', message: { id: second.id, replyToId: first.id } });
    });

    it('a thread page is one statement on one shard', async () => {
      const [owner] = [newUser()];
      const chatId = await createGroup(h, owner, []);
      const root = ok(await send(h, owner, chatId, 'root')).sendMessage;
      for (let i = 0; i < 5; i++) ok(await reply(owner, chatId, `reply ${i}`, root.id));
      let page: Awaited<ReturnType<typeof h.stores.history.replies>> | undefined;
      const counts = await statements(async () => {
        page = await h.stores.history.replies(BigInt(root.id), { direction: 'forward', limit: 3, cursorSeq: null });
      });
      expect(page!.messages.map((m) => m.text)).toEqual(['reply 0', 'reply 1', 'reply 2']);
      expect(page!.hasMore).toBe(true);
      expect(counts.reduce((a, b) => a + b)).toBe(1);
    });

    it('refuses replies to messages of other chats or deleted ones, and non-members, writing nothing', async () => {
      const [owner, stranger] = [newUser(), newUser()];
      const chatId = await createGroup(h, owner, []);
      const otherChat = await createGroup(h, owner, []);
      const elsewhere = ok(await send(h, owner, otherChat, 'elsewhere')).sendMessage;
      const doomed = ok(await send(h, owner, chatId, 'doomed')).sendMessage;
      ok(await h.as(owner)(`mutation($m: ID!) { deleteMessage(messageId: $m) { id } }`, { m: doomed.id }));
      const seq = await lastSeq(owner, chatId);

      const across = await reply(owner, chatId, 'nope', elsewhere.id);
      expect(codeOf(across)).toBe('NOT_FOUND');
      expect(across.errors![0]!.extensions!.field).toBe('replyToId');
      expect(codeOf(await reply(owner, chatId, 'nope', doomed.id))).toBe('CONFLICT');
      expect(codeOf(await reply(stranger, chatId, 'nope', doomed.id))).toBe('FORBIDDEN');
      expect(codeOf(await reply(owner, chatId, 'nope', 'not-an-id'))).toBe('BAD_USER_INPUT');
      expect(await lastSeq(owner, chatId)).toBe(seq);
    });
  });

  describe('reactions', () => {
    const react = (user: string, messageId: string, emoji: string, add = true) =>
      h.as(user)<Record<string, Msg>>(
        `mutation($m: ID!, $e: String!) { r: ${add ? 'addReaction' : 'removeReaction'}(messageId: $m, emoji: $e) { ${MESSAGE} } }`,
        { m: messageId, e: emoji },
      );

    it('adding twice is one reaction; groups count users and tell the viewer; each change is one event', async () => {
      const [owner, member, stranger] = [newUser(), newUser(), newUser()];
      const chatId = await createGroup(h, owner, [member]);
      const msg = ok(await send(h, owner, chatId, 'react to me')).sendMessage;
      const before = await lastSeq(owner, chatId);

      ok(await react(member, msg.id, '👍'));
      const again = ok(await react(member, msg.id, '👍')).r;
      expect(again.reactions).toEqual([{ emoji: '👍', count: 1, viewerReacted: true, users: [{ id: member }] }]);
      ok(await react(owner, msg.id, '👍'));
      ok(await react(owner, msg.id, '👨‍👩‍👧‍👦'));
      ok(await react(owner, msg.id, '🇫🇷'));
      expect((await message(member, msg.id)).reactions).toEqual([
        { emoji: '👍', count: 2, viewerReacted: true, users: [{ id: member }, { id: owner }] },
        { emoji: '👨‍👩‍👧‍👦', count: 1, viewerReacted: false, users: [{ id: owner }] },
        { emoji: '🇫🇷', count: 1, viewerReacted: false, users: [{ id: owner }] },
      ]);
      ok(await react(member, msg.id, '👍', false));
      ok(await react(member, msg.id, '👍', false));

      const log = await events(owner, chatId, before);
      expect(log.map((e) => [e.type, e.emoji])).toEqual([
        ['REACTION_ADDED', '👍'],
        ['REACTION_ADDED', '👍'],
        ['REACTION_ADDED', '👨‍👩‍👧‍👦'],
        ['REACTION_ADDED', '🇫🇷'],
        ['REACTION_REMOVED', '👍'],
      ]);
      expect(log[4]!.message.reactions[0]).toMatchObject({ emoji: '👍', count: 1, viewerReacted: true });

      expect(codeOf(await react(stranger, msg.id, '👍'))).toBe('FORBIDDEN');
      expect(codeOf(await react(member, '1', '👍'))).toBe('NOT_FOUND');
    });

    it('takes one emoji only, and a bounded number of different ones per message', async () => {
      const owner = newUser();
      const chatId = await createGroup(h, owner, []);
      const msg = ok(await send(h, owner, chatId, 'emoji')).sendMessage;
      for (const bad of ['', 'ok', '👍👍', '👍 ', 'x'.repeat(100), '\ud83d']) {
        const res = await react(owner, msg.id, bad);
        expect([bad, codeOf(res), res.errors?.[0]?.extensions?.field]).toEqual([bad, 'BAD_USER_INPUT', 'emoji']);
      }
      const many = [...'😀😁😂🤣😃😄😅😆😉😊😋😎😍😘🥰😗😙😚🙂🤗'];
      expect(many).toHaveLength(20);
      for (const e of many) ok(await react(owner, msg.id, e));
      expect(codeOf(await react(owner, msg.id, '🤩'))).toBe('LIMIT_EXCEEDED');
      // One already there is fine.
      const other = newUser();
      ok(
        await h.as(owner)(`mutation($c: ID!, $u: [ID!]!) { addMembers(chatId: $c, userIds: $u) { id } }`, {
          c: chatId,
          u: [other],
        }),
      );
      expect(ok(await react(other, msg.id, '😀')).r.reactions[0]).toMatchObject({ emoji: '😀', count: 2 });
    });

    it('a history page of 50 messages with reactions and replies costs no more statements than one of 2', async () => {
      const [owner, member] = [newUser(), newUser()];
      const chatId = await createGroup(h, owner, [member]);
      const ids: string[] = [];
      for (let i = 0; i < 50; i++) ids.push(ok(await send(h, owner, chatId, `m${i}`)).sendMessage.id);
      for (const id of ids.slice(0, 10)) ok(await react(member, id, '🎉'));
      ok(await reply(member, chatId, 'a reply', ids[0]!));
      const page = (last: number) =>
        h.as(member)(
          `query($c: ID!, $l: Int!) { chat(id: $c) { messages(last: $l) { nodes {
             id replyCount replyTo { id } reactions { emoji count viewerReacted } } } } }`,
          { c: chatId, l: last },
        );
      const small = await statements(async () => ok(await page(2)));
      let big: unknown;
      const large = await statements(async () => (big = ok(await page(50))));
      expect(large).toEqual(small);
      expect(JSON.stringify(big)).toContain('🎉');
    });
  });

  describe('mentions', () => {
    it('@usernames of members become mentions at send and edit; others stay text', async () => {
      const [owner, member, outsider] = [newUser(), newUser(), newUser()];
      names.byName.set('mentioned_member', member);
      names.byName.set('not_in_chat', outsider);
      const chatId = await createGroup(h, owner, [member]);
      const sent = await h.as(owner)<{ sendMessage: Msg }>(
        `mutation($c: ID!) { sendMessage(chatId: $c, text: "hi @Mentioned_Member and @not_in_chat @nobody_here", clientMessageId: "mention-1") { ${MESSAGE} } }`,
        { c: chatId },
      );
      const msg = ok(sent).sendMessage;
      expect(msg.mentions).toEqual([{ id: member }]);
      const edited = await h.as(owner)<{ editMessage: Msg }>(
        `mutation($m: ID!) { editMessage(messageId: $m, text: "no names now") { ${MESSAGE} } }`,
        { m: msg.id },
      );
      expect(ok(edited).editMessage.mentions).toEqual([]);
      const log = await events(owner, chatId, msg.seq - 1);
      expect(log.map((e) => e.type)).toEqual(['MESSAGE_ADDED', 'MESSAGE_EDITED']);
    });
  });

  describe('pins', () => {
    const pin = (user: string, messageId: string, pinned = true) =>
      h.as(user)<Record<string, Msg>>(
        `mutation($m: ID!) { p: ${pinned ? 'pinMessage' : 'unpinMessage'}(messageId: $m) { ${MESSAGE} } }`,
        { m: messageId },
      );
    const pinned = async (user: string, chatId: string) =>
      ok(
        await h.as(user)<{ chat: { pinnedMessages: Array<{ id: string }> } }>(
          `query($c: ID!) { chat(id: $c) { pinnedMessages { id } } }`,
          { c: chatId },
        ),
      ).chat.pinnedMessages.map((m) => m.id);

    it('owner and admins pin in groups, members are refused; each change is an event', async () => {
      const [owner, member, stranger] = [newUser(), newUser(), newUser()];
      const chatId = await createGroup(h, owner, [member]);
      const a = ok(await send(h, member, chatId, 'a')).sendMessage;
      const b = ok(await send(h, member, chatId, 'b')).sendMessage;
      const before = await lastSeq(owner, chatId);
      expect(codeOf(await pin(member, a.id))).toBe('FORBIDDEN');
      expect(codeOf(await pin(stranger, a.id))).toBe('FORBIDDEN');
      expect(ok(await pin(owner, a.id)).p.pinned).toBe(true);
      ok(await pin(owner, a.id));
      ok(await pin(owner, b.id));
      expect(await pinned(member, chatId)).toEqual([b.id, a.id]);
      ok(await pin(owner, a.id, false));
      expect(await pinned(member, chatId)).toEqual([b.id]);
      const log = await events(member, chatId, before);
      expect(log.map((e) => [e.type, e.message.id])).toEqual([
        ['MESSAGE_PINNED', a.id],
        ['MESSAGE_PINNED', b.id],
        ['MESSAGE_UNPINNED', a.id],
      ]);
      // Deleting a pinned message unpins it.
      ok(await h.as(member)(`mutation($m: ID!) { deleteMessage(messageId: $m) { id } }`, { m: b.id }));
      expect(await pinned(owner, chatId)).toEqual([]);
    });

    it('either member pins in a direct chat', async () => {
      const [a, b] = [newUser(), newUser()];
      const chatId = ok(
        await h.as(a)<{ createDirectChat: { id: string } }>(
          `mutation($u: ID!) { createDirectChat(userId: $u) { id } }`,
          {
            u: b,
          },
        ),
      ).createDirectChat.id;
      const msg = ok(await send(h, a, chatId, 'pin me')).sendMessage;
      expect(ok(await pin(b, msg.id)).p.pinned).toBe(true);
      expect(ok(await pin(a, msg.id, false)).p.pinned).toBe(false);
    });
  });
});
