import type { AdapterStatements, ChatsClient, ShardedDatabase } from '@chatgraph/db';
import { ActivityIndex } from '../src/storage/ActivityIndex';
import { createGroup, ok, send, startChats, userOnShard, type ChatsHarness } from './harness';

let h: ChatsHarness;
beforeAll(async () => {
  h = await startChats();
});
afterAll(async () => {
  await h.close();
});

interface Listed {
  id: string;
  unreadCount: number;
}

async function list(viewer: string): Promise<Listed[]> {
  return ok(
    await h.as(viewer)<{ myChats: { nodes: Listed[] } }>(`query { myChats(first: 50) { nodes { id unreadCount } } }`),
  ).myChats.nodes;
}

async function outboxRows(chatId: bigint): Promise<number> {
  const rows = await h.dbs.chats.clientFor(chatId).$queryRaw<Array<{ n: number }>>`
    SELECT count(*)::int AS n FROM activity_outbox WHERE chat_id = ${chatId}`;
  return rows[0]!.n;
}

/** Each member's copy of the chat's activity time (ms), from the member's own shard. */
async function copies(chatId: bigint, userIds: readonly bigint[]): Promise<Map<bigint, number>> {
  const result = new Map<bigint, number>();
  for (const userId of userIds) {
    const rows = await h.dbs.chats.clientFor(userId).$queryRaw<Array<{ last_activity_at: Date }>>`
      SELECT last_activity_at FROM user_chats WHERE user_id = ${userId} AND chat_id = ${chatId}`;
    result.set(userId, rows[0]!.last_activity_at.getTime());
  }
  return result;
}

/** The chats database, except that physical shard `failing` refuses every statement. */
function failingOn(failing: number): ShardedDatabase<ChatsClient> {
  const db = h.dbs.chats;
  const down = () => Promise.reject(new Error(`shard ${failing} is down`));
  const refusing = { $executeRaw: down, $queryRaw: down, execute: down, rows: down };
  // Both ways to a shard refuse: the Prisma client and the driver adapter's statements (see AdapterStatements).
  return Object.assign(Object.create(db) as ShardedDatabase<ChatsClient>, {
    clientAt: (index: number) => (index === failing ? (refusing as unknown as ChatsClient) : db.clientAt(index)),
    statementsAt: (index: number) =>
      index === failing ? (refusing as unknown as AdapterStatements) : db.statementsAt(index),
  });
}

/** The chats database, counting the statements run on each physical shard's driver adapter. */
function countingStatements(): { db: ShardedDatabase<ChatsClient>; statements: () => number } {
  const db = h.dbs.chats;
  let statements = 0;
  const counted = new Map<number, AdapterStatements>();
  const statementsAt = (index: number) => {
    let wrapped = counted.get(index);
    if (!wrapped) {
      const real = db.statementsAt(index);
      wrapped = Object.assign(Object.create(real) as AdapterStatements, {
        execute: (...args: Parameters<AdapterStatements['execute']>) => {
          statements++;
          return real.execute(...args);
        },
      });
      counted.set(index, wrapped);
    }
    return wrapped;
  };
  return {
    db: Object.assign(Object.create(db) as ShardedDatabase<ChatsClient>, { statementsAt }),
    statements: () => statements,
  };
}

describe("the members' chat lists after a send (ActivityIndex)", () => {
  it('move the chat to the top for members on every shard, with exact unread counts, and leave no outbox row', async () => {
    const owner = userOnShard(0);
    const members = [0, 1, 1, 2, 2, 3, 3].map((shard) => userOnShard(shard));
    const everyone = [owner, ...members];
    const a = await createGroup(h, owner, members, 'a');
    const b = await createGroup(h, owner, members, 'b');
    for (const u of everyone) expect((await list(u)).map((c) => c.id)).toEqual([b, a]);
    // Concurrent sends by several members in both chats, then a last one in `a`.
    const authors = [members[0]!, members[2]!, members[4]!, members[6]!];
    await Promise.all(authors.map((u, i) => send(h, u, i % 2 ? a : b, `m${i}`).then(ok)));
    ok(await send(h, members[1]!, a, 'last'));
    const sentIn = (chat: string, u: string) =>
      [...authors.map((x, i) => ({ author: x, chat: i % 2 ? a : b })), { author: members[1]!, chat: a }].filter(
        (m) => m.chat === chat && m.author !== u,
      ).length;
    for (const u of everyone) {
      expect(await list(u)).toEqual([
        { id: a, unreadCount: sentIn(a, u) },
        { id: b, unreadCount: sentIn(b, u) },
      ]);
    }
    expect(await outboxRows(BigInt(a))).toBe(0);
    expect(await outboxRows(BigInt(b))).toBe(0);
  });

  it('keep the outbox row when a shard fails, until every copy has the time; an older time moves nothing', async () => {
    const owner = userOnShard(0);
    const members = [1, 2, 3, 0].map((shard) => userOnShard(shard));
    const chatId = BigInt(await createGroup(h, owner, members, 'outage'));
    const chatShard = h.dbs.chats.shardFor(chatId).index;
    const sent = await h.stores.messages.send(chatId, BigInt(owner), 'committed, lists not yet moved', 'k1');
    const at = sent.message.createdAt;
    const memberIds = sent.memberIds;
    expect(memberIds).toHaveLength(5);
    expect(await outboxRows(chatId)).toBe(1);

    // Another shard refuses: the chat's own shard (its members' copies and the outbox row) is not written.
    const other = [0, 1, 2, 3].find((s) => s !== chatShard)!;
    await expect(new ActivityIndex(failingOn(other)).touch(chatId, memberIds, at)).rejects.toThrow('is down');
    expect(await outboxRows(chatId)).toBe(1);
    const onChatShard = memberIds.filter((u) => h.dbs.chats.shardFor(u).index === chatShard);
    expect(onChatShard.length).toBeGreaterThan(0);
    for (const copy of (await copies(chatId, onChatShard)).values()) expect(copy).toBeLessThan(at.getTime());

    // The chat's own shard refuses: the others got the time, the outbox row stays.
    await expect(new ActivityIndex(failingOn(chatShard)).touch(chatId, memberIds, at)).rejects.toThrow('is down');
    expect(await outboxRows(chatId)).toBe(1);

    await new ActivityIndex(h.dbs.chats).touch(chatId, memberIds, at);
    expect([...(await copies(chatId, memberIds)).values()]).toEqual(memberIds.map(() => at.getTime()));
    expect(await outboxRows(chatId)).toBe(0);

    // A newer send recorded a newer time: a late touch with the older one moves no copy back and keeps that row.
    const newer = await h.stores.messages.send(chatId, BigInt(members[0]!), 'newer', 'k2');
    await new ActivityIndex(h.dbs.chats).touch(chatId, memberIds, at);
    expect(await outboxRows(chatId)).toBe(1);
    expect([...(await copies(chatId, memberIds)).values()]).toEqual(memberIds.map(() => at.getTime()));
    await new ActivityIndex(h.dbs.chats).touch(chatId, newer.memberIds, newer.message.createdAt);
    expect([...(await copies(chatId, memberIds)).values()]).toEqual(
      memberIds.map(() => newer.message.createdAt.getTime()),
    );
    expect(await outboxRows(chatId)).toBe(0);
  });

  it('share statements between concurrent touches: each shard runs one at a time, with every step that waited', async () => {
    const owner = userOnShard(0);
    const members = [1, 2, 3, 0, 1, 2, 3].map((shard) => userOnShard(shard));
    // Created one after the other: what is tested is concurrent touches, not concurrent creates. Twelve creates at
    // once left one member's index row missing when this test read it, once, in a CI run (an index update that fails
    // is left to the repairer, which this test does not run).
    const chats: bigint[] = [];
    for (let i = 0; i < 12; i++) chats.push(BigInt(await createGroup(h, owner, members, `merged ${i}`)));
    const sent = await Promise.all(
      chats.map((c, i) => h.stores.messages.send(c, BigInt(owner), `m${i}`, `merged-${i}`)),
    );
    for (const c of chats) expect(await outboxRows(c)).toBe(1);
    // One statement per shard holding members, per touch, when each runs alone: 4 shards for each of the 12 chats.
    const alone = sent.reduce((n, s) => n + h.dbs.chats.groupByShard(s.memberIds, (id) => id).size, 0);
    expect(alone).toBe(48);

    const { db, statements } = countingStatements();
    const index = new ActivityIndex(db);
    await Promise.all(chats.map((c, i) => index.touch(c, sent[i]!.memberIds, sent[i]!.message.createdAt)));
    // The first step on each shard goes alone, the others of the other shards in one more; the chats' own shards'
    // steps (the outbox rows' deletes) follow as those finish, at most one statement each.
    expect(statements()).toBeLessThanOrEqual(4 * 2 + 12);
    for (const [i, c] of chats.entries()) {
      expect(await outboxRows(c)).toBe(0);
      const at = sent[i]!.message.createdAt.getTime();
      expect([...(await copies(c, sent[i]!.memberIds)).values()]).toEqual(sent[i]!.memberIds.map(() => at));
    }
  });
});
