import {
  createGroup,
  newUser,
  userOnShard,
  ok,
  send,
  startChats,
  codeOf,
  countRows,
  type ChatsHarness,
} from './harness';

let h: ChatsHarness;
beforeAll(async () => {
  h = await startChats();
});
afterAll(async () => {
  await h.close();
});

const EVENTS = `query($c: ID!, $after: Int!, $limit: Int) {
  chatEventsSince(chatId: $c, afterSeq: $after, limit: $limit) { seq type message { id seq text author { id } } }
}`;

describe('ordering under concurrent senders', () => {
  it('20 concurrent senders get seqs with no gap and no duplicate, and chatEventsSince replays them in order', async () => {
    const owner = newUser();
    const senders = Array.from({ length: 20 }, () => newUser());
    const chatId = await createGroup(h, owner, senders);
    const base = senders.length + 1; // MEMBER_ADDED events of the owner and the members
    const perSender = 5;
    const results = await Promise.all(
      senders.map(async (s, i) => {
        const seqs: number[] = [];
        for (let k = 0; k < perSender; k++) seqs.push(ok(await send(h, s, chatId, `m ${i}.${k}`)).sendMessage.seq);
        return seqs;
      }),
    );
    const seqs = results.flat().sort((a, b) => a - b);
    const total = senders.length * perSender;
    expect(seqs).toEqual(Array.from({ length: total }, (_, i) => base + 1 + i));
    // each sender's own messages are in the order it sent them
    for (const own of results) expect([...own].sort((a, b) => a - b)).toEqual(own);

    const events = ok(
      await h.as(owner)<{
        chatEventsSince: Array<{ seq: number; type: string; message: { seq: number; text: string } | null }>;
      }>(EVENTS, { c: chatId, after: 0, limit: 500 }),
    ).chatEventsSince;
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: base + total }, (_, i) => i + 1));
    expect(events.slice(base).every((e) => e.type === 'MESSAGE_ADDED' && e.message?.seq === e.seq)).toBe(true);
    const chat = ok(
      await h.as(owner)<{ chat: { lastSeq: number } }>(`query($c: ID!) { chat(id: $c) { lastSeq } }`, { c: chatId }),
    );
    expect(chat.chat.lastSeq).toBe(base + total);
  });
});

describe('idempotent send', () => {
  it('10 concurrent retries of one send create exactly one message and consume one seq', async () => {
    const a = newUser();
    const chatId = await createGroup(h, a, []);
    const results = await Promise.all(Array.from({ length: 10 }, () => send(h, a, chatId, 'only once', 'retry-key-1')));
    const ids = new Set(results.map((r) => ok(r).sendMessage.id));
    expect(ids.size).toBe(1);
    expect(new Set(results.map((r) => ok(r).sendMessage.seq))).toEqual(new Set([2]));
    // the next message gets the next seq: the failed attempts consumed none
    expect(ok(await send(h, a, chatId, 'next')).sendMessage.seq).toBe(3);
    const history = ok(
      await h.as(a)<{ chat: { messages: { nodes: Array<{ text: string }> } } }>(
        `query($c: ID!) { chat(id: $c) { messages { nodes { text } } } }`,
        { c: chatId },
      ),
    );
    expect(history.chat.messages.nodes.map((m) => m.text)).toEqual(['only once', 'next']);
  });

  it('a sequential retry returns the original message', async () => {
    const a = newUser();
    const chatId = await createGroup(h, a, []);
    const first = ok(await send(h, a, chatId, 'hello', 'k-seq')).sendMessage;
    const again = ok(await send(h, a, chatId, 'hello', 'k-seq')).sendMessage;
    expect(again).toEqual(first);
  });

  it('the same clientMessageId with another text is a CONFLICT and writes nothing', async () => {
    const a = newUser();
    const chatId = await createGroup(h, a, []);
    ok(await send(h, a, chatId, 'original', 'k-conflict'));
    const messages = await countRows(h, 'messages');
    const events = await countRows(h, 'chat_events');
    const res = await send(h, a, chatId, 'something else', 'k-conflict');
    expect(codeOf(res)).toBe('CONFLICT');
    expect(res.errors![0]!.extensions!.field).toBe('clientMessageId');
    expect(await countRows(h, 'messages')).toBe(messages);
    expect(await countRows(h, 'chat_events')).toBe(events);
    expect(ok(await send(h, a, chatId, 'after')).sendMessage.seq).toBe(3);
  });

  it('clientMessageIds are per author: two members may use the same one', async () => {
    const a = newUser();
    const b = newUser();
    const chatId = await createGroup(h, a, [b]);
    const m1 = ok(await send(h, a, chatId, 'from a', 'same')).sendMessage;
    const m2 = ok(await send(h, b, chatId, 'from b', 'same')).sendMessage;
    expect(m1.id).not.toBe(m2.id);
  });
});

describe('the send path', () => {
  it("touches exactly one shard (the chat's) with one statement", async () => {
    const a = newUser();
    const chatId = await createGroup(h, a, []);
    const shard = h.dbs.chats.shardFor(BigInt(chatId)).index;
    const before = h.dbs.chats.statementCounts();
    const sent = await h.stores.messages.send(BigInt(chatId), BigInt(a), 'counted', 'count-1');
    const after = h.dbs.chats.statementCounts();
    expect(sent.message.seq).toBe(2);
    expect(after.map((n, i) => n - before[i]!)).toEqual(after.map((_, i) => (i === shard ? 1 : 0)));
  });

  it("through the API, a send is one statement on the chat's shard, then each member's list gets its activity", async () => {
    const a = userOnShard(0);
    const b = userOnShard(1);
    const chatId = await createGroup(h, a, [b]);
    const shard = h.dbs.chats.shardFor(BigInt(chatId)).index;
    const before = h.dbs.chats.statementCounts();
    ok(await send(h, a, chatId, 'via graphql'));
    const after = h.dbs.chats.statementCounts();
    // chat's shard: the send, then (after the commit) one statement updating its members' user_chats rows (if any
    // are there) and deleting the activity outbox row; the members' other shards (of 0 and 1): one update each
    const expected = [0, 0, 0, 0];
    expected[shard]! += 2;
    for (const memberShard of [0, 1]) if (memberShard !== shard) expected[memberShard]! += 1;
    expect(after.map((n, i) => n - before[i]!)).toEqual(expected);
  });
});
