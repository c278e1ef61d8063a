/**
 * searchMessages over 10,000 messages in chats on all four shards: only the viewer's chats, newest first, paged
 * without gaps or repeats, each shard asked at most once per page; deleted messages are never found and edited ones
 * by their new text.
 */
import { codeOf, createGroup, newUser, ok, send, startChats, type ChatsHarness } from './harness';

const MESSAGES = 10_000;
const EPOCH_MS = 1735689600000n;

interface SearchPage {
  searchMessages: {
    nodes: Array<{ id: string; text: string }>;
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
  };
}

const SEARCH = `query($q: String!, $c: ID, $f: Int, $a: String) {
  searchMessages(query: $q, chatId: $c, first: $f, after: $a) { nodes { id text } pageInfo { hasNextPage endCursor } }
}`;

describe('searchMessages', () => {
  let h: ChatsHarness;
  const viewer = newUser();
  const stranger = newUser();
  const viewerChats: string[] = [];
  const strangerChats: string[] = [];
  /** Ids of the messages containing "needle" in the viewer's chats. */
  const expected = new Set<string>();

  /** Inserts `count` messages into a chat straight into its shard (ids of its logical shard, in time order). */
  async function seed(chatId: string, author: string, count: number, startMs: bigint, needleEvery: number) {
    const logical = (BigInt(chatId) >> 10n) & 4095n;
    const rows = await h.dbs.chats.clientFor(BigInt(chatId)).$queryRawUnsafe<Array<{ id: bigint; text: string }>>(
      `WITH ins AS (
         INSERT INTO messages (id, chat_id, seq, author_id, text, client_message_id, created_at, chat_ordinal,
                               author_ordinal)
         SELECT ((${startMs} + g) << 22) | (${logical} << 10), ${chatId}, 1000 + g, ${author},
                CASE WHEN g % ${needleEvery} = 0 THEN 'a needle in message ' || g ELSE 'hay number ' || g END,
                'seed-' || g, to_timestamp((${EPOCH_MS} + ${startMs} + g) / 1000.0), 1000 + g, 1000 + g
           FROM generate_series(1, ${count}) AS g
         RETURNING id, text)
       SELECT id, text FROM ins WHERE text LIKE 'a needle%'`,
    );
    return rows.map((r) => r.id.toString());
  }

  beforeAll(async () => {
    h = await startChats();
    // Chats of the viewer on every shard, and chats of someone else on every shard.
    const covered = (ids: string[]) => new Set(ids.map((id) => h.dbs.chats.shardFor(BigInt(id)).index)).size;
    while (covered(viewerChats) < 4 || viewerChats.length < 8) viewerChats.push(await createGroup(h, viewer, []));
    while (covered(strangerChats) < 4) strangerChats.push(await createGroup(h, stranger, []));
    const all = [...viewerChats, ...strangerChats];
    const per = Math.floor(MESSAGES / all.length);
    let startMs = BigInt(Date.now()) - EPOCH_MS - 10_000_000n;
    for (const chatId of all) {
      const mine = viewerChats.includes(chatId);
      const needles = await seed(chatId, mine ? viewer : stranger, per, startMs, 37);
      if (mine) for (const id of needles) expected.add(id);
      startMs += BigInt(per) + 1000n;
    }
  }, 120_000);
  afterAll(async () => {
    await h.close();
  });

  const search = (user: string, variables: Record<string, unknown>) => h.as(user)<SearchPage>(SEARCH, variables);

  it("finds a word in the viewer's chats only, newest first, each shard asked at most once per page", async () => {
    const found: string[] = [];
    let after: string | null = null;
    let pages = 0;
    for (;;) {
      const before = h.dbs.chats.statementCounts();
      const page: SearchPage['searchMessages'] = ok(
        await search(viewer, { q: 'NEEDLE', f: 50, a: after }),
      ).searchMessages;
      const counts = h.dbs.chats.statementCounts().map((c, i) => c - before[i]!);
      expect(counts.every((c) => c <= 1)).toBe(true);
      pages++;
      found.push(...page.nodes.map((n) => n.id));
      for (const node of page.nodes) expect(node.text).toContain('needle');
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(pages).toBeGreaterThan(1);
    expect(found.length).toBe(expected.size);
    expect(new Set(found)).toEqual(expected);
    const ids = found.map(BigInt);
    expect(ids.every((id, i) => i === 0 || id < ids[i - 1]!)).toBe(true);
  });

  it('searches one chat when asked, and refuses chats the viewer is not in', async () => {
    const chatId = viewerChats[0]!;
    const page = ok(await search(viewer, { q: 'needle', c: chatId, f: 50 })).searchMessages;
    expect(page.nodes.length).toBeGreaterThan(0);
    expect(codeOf(await search(viewer, { q: 'needle', c: strangerChats[0] }))).toBe('FORBIDDEN');
    expect(ok(await search(newUser(), { q: 'needle' })).searchMessages.nodes).toEqual([]);
  });

  it('never finds deleted messages, and finds edited ones by their new text only', async () => {
    const chatId = viewerChats[1]!;
    const gone = ok(await send(h, viewer, chatId, 'ephemeral zebra')).sendMessage;
    const edited = ok(await send(h, viewer, chatId, 'original giraffe')).sendMessage;
    expect(ok(await search(viewer, { q: 'zebra' })).searchMessages.nodes.map((n) => n.id)).toEqual([gone.id]);
    ok(await h.as(viewer)(`mutation($m: ID!) { deleteMessage(messageId: $m) { id } }`, { m: gone.id }));
    ok(
      await h.as(viewer)(`mutation($m: ID!) { editMessage(messageId: $m, text: "renamed okapi") { id } }`, {
        m: edited.id,
      }),
    );
    expect(ok(await search(viewer, { q: 'zebra' })).searchMessages.nodes).toEqual([]);
    expect(ok(await search(viewer, { q: 'giraffe' })).searchMessages.nodes).toEqual([]);
    expect(ok(await search(viewer, { q: 'okapi' })).searchMessages.nodes.map((n) => n.id)).toEqual([edited.id]);
  });

  it('refuses empty queries and foreign cursors', async () => {
    for (const q of ['', '   ', '!!!', 'x'.repeat(201)])
      expect([q, codeOf(await search(viewer, { q }))]).toEqual([q, 'BAD_USER_INPUT']);
    expect(codeOf(await search(viewer, { q: 'needle', a: 'bm90LWEtY3Vyc29y' }))).toBe('BAD_USER_INPUT');
    expect(codeOf(await h.as(null)(SEARCH, { q: 'needle' }))).toBe('UNAUTHENTICATED');
  });
});
