import { createLogger } from '@chatgraph/logging';
import { IndexRepairer } from '../src/jobs/IndexRepairer';
import { createGroup, newUser, ok, send, startChats, type ChatsHarness } from './harness';

let h: ChatsHarness;
let crash = false;
beforeAll(async () => {
  h = await startChats({
    hooks: {
      beforeActivityApply: () => {
        if (crash) throw new Error('injected crash between commit and the chat lists update');
      },
    },
  });
});
afterAll(async () => {
  await h.close();
});
afterEach(() => {
  crash = false;
});

interface Listed {
  id: string;
  unreadCount: number;
  lastMessage: { text: string | null; deleted: boolean; author: { id: string } } | null;
}

async function list(viewer: string, first = 100): Promise<Listed[]> {
  return ok(
    await h.as(viewer)<{ myChats: { nodes: Listed[] } }>(
      `query($f: Int) { myChats(first: $f) { nodes { id unreadCount lastMessage { text deleted author { id } } } } }`,
      { f: first },
    ),
  ).myChats.nodes;
}

async function activityOutboxRows(): Promise<number> {
  let n = 0;
  for (const { client } of h.dbs.chats.all()) {
    const rows = await client.$queryRaw<Array<{ n: number }>>`SELECT count(*)::int AS n FROM activity_outbox`;
    n += rows[0]!.n;
  }
  return n;
}

describe('the chat list', () => {
  it("shows each chat's newest message, a deleted one as deleted, none before the first", async () => {
    const [viewer, other] = [newUser(), newUser()];
    const quiet = await createGroup(h, other, [viewer], 'quiet');
    const busy = await createGroup(h, other, [viewer], 'busy');
    ok(await send(h, other, busy, 'first'));
    const last = ok(await send(h, viewer, busy, 'newest')).sendMessage;
    expect(await list(viewer)).toEqual([
      { id: busy, unreadCount: 1, lastMessage: { text: 'newest', deleted: false, author: { id: viewer } } },
      { id: quiet, unreadCount: 0, lastMessage: null },
    ]);
    ok(await h.as(viewer)(`mutation($m: ID!) { deleteMessage(messageId: $m) { id } }`, { m: last.id }));
    expect((await list(viewer))[0]!.lastMessage).toEqual({ text: null, deleted: true, author: { id: viewer } });
    // the same field outside a list
    const chat = ok(
      await h.as(viewer)<{ chat: { lastMessage: { deleted: boolean } | null } }>(
        `query($c: ID!) { chat(id: $c) { lastMessage { deleted } } }`,
        { c: busy },
      ),
    ).chat;
    expect(chat.lastMessage).toEqual({ deleted: true });
  });

  it('moves a chat to the top for every member as soon as a send returns, and leaves no outbox row', async () => {
    const [a, b] = [newUser(), newUser()];
    const chats = [];
    for (let i = 0; i < 4; i++) chats.push(await createGroup(h, a, [b], `c${i}`));
    for (const chatId of [chats[2]!, chats[0]!]) {
      ok(await send(h, a, chatId, 'bump'));
      for (const u of [a, b]) expect((await list(u))[0]!.id).toBe(chatId);
    }
    expect((await list(b)).map((c) => c.id)).toEqual([chats[0], chats[2], chats[3], chats[1]]);
    expect(await activityOutboxRows()).toBe(0);
  });

  it('converges after a crash between a send and the chat lists update (the repairer applies the outbox row)', async () => {
    const [a, b] = [newUser(), newUser()];
    const older = await createGroup(h, a, [b], 'older');
    const newer = await createGroup(h, a, [b], 'newer');
    expect((await list(b)).map((c) => c.id)).toEqual([newer, older]);
    crash = true;
    ok(await send(h, a, older, 'lost update'));
    crash = false;
    // committed (the message is there and counted) but the lists still have the old order
    expect(await list(b)).toMatchObject([{ id: newer }, { id: older, unreadCount: 1 }]);
    expect(await activityOutboxRows()).toBe(1);

    const repairer = new IndexRepairer({ db: h.dbs.chats, logger: createLogger('list-test', 'silent') });
    await repairer.runOnce(60_000); // young rows are left to their writer
    expect((await list(b)).map((c) => c.id)).toEqual([newer, older]);
    await repairer.runOnce(0);
    for (const u of [a, b]) expect((await list(u)).map((c) => c.id)).toEqual([older, newer]);
    expect(await activityOutboxRows()).toBe(0);
  });

  it('pages a long list in order, each chat once, with its unread count', async () => {
    const [viewer, other] = [newUser(), newUser()];
    const chats: string[] = [];
    for (let i = 0; i < 12; i++) {
      const chatId = await createGroup(h, other, [viewer], `p${i}`);
      for (let j = 0; j < i % 3; j++) ok(await send(h, other, chatId, `m${j}`));
      chats.push(chatId);
    }
    const seen: Listed[] = [];
    let after: string | null = null;
    for (;;) {
      const page: {
        myChats: { nodes: Listed[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
      } = ok(
        await h.as(viewer)(
          `query($a: String) { myChats(first: 5, after: $a) {
             nodes { id unreadCount lastMessage { text deleted author { id } } } pageInfo { hasNextPage endCursor } } }`,
          { a: after },
        ),
      );
      seen.push(...page.myChats.nodes);
      if (!page.myChats.pageInfo.hasNextPage) break;
      after = page.myChats.pageInfo.endCursor;
    }
    expect(seen.map((c) => c.id)).toEqual([...chats].reverse());
    expect(seen.map((c) => c.unreadCount)).toEqual(chats.map((_, i) => i % 3).reverse());
  });
});
