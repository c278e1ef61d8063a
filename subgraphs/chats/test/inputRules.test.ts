/**
 * Hostile input to the chats API: tampered cursors, lone surrogates, oversized or empty values. Each gets
 * `BAD_USER_INPUT` naming the argument (or a normal answer), never an internal error, and nothing is written.
 */
import { codeOf, newUser, ok, startChats, type ChatsHarness } from './harness';

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

describe('chats input rules', () => {
  let h: ChatsHarness;
  let owner: string;
  let chatId: string;

  beforeAll(async () => {
    h = await startChats();
    owner = newUser();
    const created = ok(
      await h.as(owner)<{ createGroupChat: { id: string } }>(
        'mutation($m: [ID!]!) { createGroupChat(title: "rules", memberIds: $m) { id } }',
        { m: [newUser()] },
      ),
    );
    chatId = created.createGroupChat.id;
    for (let i = 0; i < 3; i++)
      ok(
        await h.as(owner)(
          'mutation($c: ID!, $t: String!, $m: String!) { sendMessage(chatId: $c, text: $t, clientMessageId: $m) { id } }',
          { c: chatId, t: `m${i}`, m: `m${i}` },
        ),
      );
  }, 60_000);

  afterAll(() => h?.close());

  const tampered = [
    'not base64!',
    b64('seq:-1'),
    b64('seq:99999999999'),
    b64('seq:1e3'),
    b64('chat:99999999999999999:1'),
    b64('chat:1:99999999999999999999'),
    b64('chat:8640000000000:9223372036854775807'),
    b64('chat:8640000000001:1'),
    b64('\u0000\uffff'),
    Buffer.from([0xff, 0xfe, 0xfd]).toString('base64'),
    'A'.repeat(1000),
    '',
  ];

  it.each(tampered)(
    'answers a tampered history cursor %j with BAD_USER_INPUT or a page, never an internal error',
    async (cursor) => {
      for (const args of [
        { first: 2, after: cursor },
        { last: 2, before: cursor },
      ]) {
        const res = await h.as(owner)(
          'query($c: ID!, $first: Int, $after: String, $last: Int, $before: String) { chat(id: $c) { messages(first: $first, after: $after, last: $last, before: $before) { nodes { id } } } }',
          { c: chatId, ...args },
        );
        if (res.errors) expect(res.errors[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
      }
    },
  );

  it.each(tampered.map((c, i) => [i, c]))(
    'answers tampered chat-list cursor #%i with BAD_USER_INPUT or a page',
    async (_, cursor) => {
      const res = await h.as(owner)('query($a: String) { myChats(first: 5, after: $a) { nodes { id } } }', {
        a: cursor,
      });
      if (res.errors) expect(res.errors[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'after' } });
    },
  );

  it('refuses text with a lone surrogate instead of altering it (an identical retry stays idempotent)', async () => {
    for (const text of ['broken \ud800 half', 'tail \udc00', '\ud83d']) {
      const res = await h.as(owner)(
        'mutation($c: ID!, $t: String!) { sendMessage(chatId: $c, text: $t, clientMessageId: "surrogate") { id } }',
        { c: chatId, t: text },
      );
      expect(res.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'text' } });
    }
    // A whole pair (an emoji) is fine.
    const emoji = await h.as(owner)(
      'mutation($c: ID!) { sendMessage(chatId: $c, text: "ok \ud83d\ude00", clientMessageId: "emoji") { text } }',
      { c: chatId },
    );
    expect(ok(emoji)).toEqual({ sendMessage: { text: 'ok \u{1f600}' } });
  });

  it('refuses a title with a lone surrogate or bidi override', async () => {
    for (const title of ['t \ud800', 'evil \u202e txt.exe']) {
      const res = await h.as(owner)('mutation($c: ID!, $t: String!) { renameChat(chatId: $c, title: $t) { id } }', {
        c: chatId,
        t: title,
      });
      expect(codeOf(res)).toBe('BAD_USER_INPUT');
    }
  });
});
