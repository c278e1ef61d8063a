import { createLogger } from '@chatgraph/logging';
import { IndexRepairer } from '../src/jobs/IndexRepairer';
import { countRows, createGroup, newUser, ok, startChats, type ChatsHarness } from './harness';

let h: ChatsHarness;
let crash = false;
beforeAll(async () => {
  h = await startChats({
    hooks: {
      beforeIndexApply: () => {
        if (crash) throw new Error('injected crash between commit and index apply');
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

const logger = createLogger('repair-test', 'silent');

async function indexed(userId: string, chatId: string): Promise<boolean> {
  const rows = await h.dbs.chats.clientFor(BigInt(userId)).$queryRaw<Array<{ n: number }>>`
    SELECT count(*)::int AS n FROM user_chats WHERE user_id = ${BigInt(userId)} AND chat_id = ${BigInt(chatId)}`;
  return rows[0]!.n === 1;
}

async function listed(userId: string): Promise<string[]> {
  return ok(
    await h.as(userId)<{ myChats: { nodes: Array<{ id: string }> } }>(`query { myChats { nodes { id } } }`),
  ).myChats.nodes.map((c) => c.id);
}

describe('the user → chats index', () => {
  it('is written on both shards after a normal membership change, with no outbox left', async () => {
    const a = newUser();
    const b = newUser();
    const chatId = await createGroup(h, a, [b]);
    expect(await indexed(a, chatId)).toBe(true);
    expect(await indexed(b, chatId)).toBe(true);
    expect(await countRows(h, 'index_outbox')).toBe(0);
  });

  it('converges after a crash between the commit and the index update (missing row is added by the repairer)', async () => {
    const owner = newUser();
    const member = newUser();
    const chatId = await createGroup(h, owner, []);
    crash = true;
    ok(
      await h.as(owner)(`mutation($c: ID!, $u: ID!) { addMembers(chatId: $c, userIds: [$u]) { id } }`, {
        c: chatId,
        u: member,
      }),
    );
    crash = false;
    // membership is committed, the index is not: the chat is missing from the member's list
    expect(
      ok(await h.as(member)<{ chat: { id: string } }>(`query($c: ID!) { chat(id: $c) { id } }`, { c: chatId })).chat.id,
    ).toBe(chatId);
    expect(await indexed(member, chatId)).toBe(false);
    expect(await listed(member)).toEqual([]);
    expect(await countRows(h, 'index_outbox')).toBe(1);

    const repairer = new IndexRepairer({ db: h.dbs.chats, logger });
    // young rows are left to their writer
    expect(await repairer.runOnce(60_000)).toBe(0);
    expect(await repairer.runOnce(0)).toBe(1);
    expect(await indexed(member, chatId)).toBe(true);
    expect(await listed(member)).toEqual([chatId]);
    expect(await countRows(h, 'index_outbox')).toBe(0);
  });

  it('converges after a crash during a removal (stale row is deleted by the repairer)', async () => {
    const owner = newUser();
    const member = newUser();
    const chatId = await createGroup(h, owner, [member]);
    crash = true;
    ok(
      await h.as(owner)(`mutation($c: ID!, $u: ID!) { removeMember(chatId: $c, userId: $u) { id } }`, {
        c: chatId,
        u: member,
      }),
    );
    crash = false;
    expect(await indexed(member, chatId)).toBe(true);
    // the stale row is never shown: membership is the truth
    expect(await listed(member)).toEqual([]);
    await new IndexRepairer({ db: h.dbs.chats, logger }).runOnce(0);
    expect(await indexed(member, chatId)).toBe(false);
    expect(await countRows(h, 'index_outbox')).toBe(0);
  });

  it('applies what is true now, not the recorded op (an ADD replayed after the member left removes the row)', async () => {
    const owner = newUser();
    const member = newUser();
    const chatId = await createGroup(h, owner, []);
    crash = true;
    ok(
      await h.as(owner)(`mutation($c: ID!, $u: ID!) { addMembers(chatId: $c, userIds: [$u]) { id } }`, {
        c: chatId,
        u: member,
      }),
    );
    ok(await h.as(member)(`mutation($c: ID!) { leaveChat(chatId: $c) }`, { c: chatId }));
    crash = false;
    expect(await countRows(h, 'index_outbox')).toBe(2);
    await new IndexRepairer({ db: h.dbs.chats, logger }).runOnce(0);
    expect(await indexed(member, chatId)).toBe(false);
    expect(await indexed(owner, chatId)).toBe(true); // untouched: the owner's index row was written before
    expect(await countRows(h, 'index_outbox')).toBe(0);
  });

  it('several repairers at once apply every leftover row exactly once', async () => {
    const owner = newUser();
    const members = Array.from({ length: 30 }, () => newUser());
    crash = true;
    const chats = await Promise.all(
      Array.from({ length: 6 }, (_, i) => createGroup(h, owner, members.slice(i * 5, i * 5 + 5))),
    );
    crash = false;
    expect(await countRows(h, 'index_outbox')).toBe(36);
    const repairers = Array.from({ length: 3 }, () => new IndexRepairer({ db: h.dbs.chats, logger, batchSize: 4 }));
    const applied = await Promise.all(repairers.map((r) => r.runOnce(0)));
    expect(applied.reduce((a, b) => a + b, 0)).toBe(36);
    expect(await countRows(h, 'index_outbox')).toBe(0);
    for (const [i, chatId] of chats.entries()) {
      for (const m of members.slice(i * 5, i * 5 + 5)) expect(await indexed(m, chatId)).toBe(true);
    }
    expect(new Set(await listed(owner))).toEqual(new Set(chats));
  });

  it('runs on start and periodically until stopped', async () => {
    const owner = newUser();
    crash = true;
    const chatId = await createGroup(h, owner, []);
    crash = false;
    const repairer = new IndexRepairer({ db: h.dbs.chats, logger, intervalMs: 50, minAgeMs: 0 });
    repairer.start();
    try {
      for (let i = 0; i < 100 && !(await indexed(owner, chatId)); i++) await new Promise((r) => setTimeout(r, 50));
    } finally {
      await repairer.stop();
    }
    expect(await indexed(owner, chatId)).toBe(true);
  });
});
