/**
 * The block cache (the notifier's and the chats service's) with the machine's Redis: answers are kept until the users service announces that the
 * recipient's blocks changed, a block made while the cache holds the old answer is honoured once the announcement
 * arrives (or, were it lost, once the TTL passed), an answer fetched across a change is not kept, and the questions
 * asked at the same time go out as one call per actor.
 */
import Redis from 'ioredis';
import { createLogger } from '@chatgraph/logging';
import { testConfig, waitUntil } from '@chatgraph/testing';
import { blockChangesChannel, CachedBlockList, ChannelSubscriber, type BlockList } from '../src';

/** The users service's blocks as a set of `blocker:blocked`, counting the calls it answers. */
class BlockTable implements BlockList {
  readonly blocks = new Set<string>();
  calls: Array<{ actorId: bigint; recipientIds: bigint[] }> = [];
  /** While set, answers wait for it. */
  gate: Promise<void> | undefined;

  async blockedBy(actorId: bigint, recipientIds: readonly bigint[]): Promise<ReadonlySet<bigint>> {
    this.calls.push({ actorId, recipientIds: [...recipientIds] });
    const answer = new Set(recipientIds.filter((r) => this.blocks.has(`${r}:${actorId}`)));
    await this.gate;
    return answer;
  }
}

describe('CachedBlockList', () => {
  const config = testConfig();
  const logger = createLogger('block-cache-test', config);
  const namespace = config.DB_NAME_PREFIX;
  const redis: Redis[] = [];
  const caches: CachedBlockList[] = [];
  let announcer: Redis;

  beforeAll(() => {
    announcer = new Redis(config.REDIS_URL);
    redis.push(announcer);
  });

  afterAll(async () => {
    for (const cache of caches) await cache.stop();
    for (const r of redis) r.disconnect();
  });

  const start = async (table: BlockTable, ttlMs = 60_000) => {
    const subscriber = new Redis(config.REDIS_URL);
    redis.push(subscriber);
    const cache = new CachedBlockList({
      source: table,
      channels: new ChannelSubscriber(subscriber, logger),
      namespace,
      ttlMs,
      logger,
    });
    caches.push(cache);
    await cache.start();
    return cache;
  };

  /** What the users service publishes after `userId` blocked or unblocked someone. */
  const announce = (userId: bigint) =>
    announcer.publish(blockChangesChannel(namespace), JSON.stringify({ userId: userId.toString() }));

  const [actor, ann, ben] = [1001n, 1002n, 1003n];

  it('keeps answers, and honours a block made while it holds the old one once the change is announced', async () => {
    const table = new BlockTable();
    const cache = await start(table);
    expect(await cache.blockedBy(actor, [ann, ben])).toEqual(new Set());
    expect(await cache.blockedBy(actor, [ann, ben])).toEqual(new Set());
    expect(table.calls).toHaveLength(1);

    // ann blocks the actor: the cache still holds "not blocked" until the announcement arrives.
    table.blocks.add(`${ann}:${actor}`);
    await announce(ann);
    await waitUntil('the block is honoured', async () => (await cache.blockedBy(actor, [ann, ben])).has(ann));
    // Only ann's answer was forgotten and asked again; ben's is still kept.
    expect(table.calls.slice(1).every((c) => c.recipientIds.length === 1 && c.recipientIds[0] === ann)).toBe(true);

    // And the unblock.
    table.blocks.delete(`${ann}:${actor}`);
    await announce(ann);
    await waitUntil('the unblock is honoured', async () => !(await cache.blockedBy(actor, [ann])).has(ann));
  });

  it('honours a block whose announcement was lost once its answer is older than the TTL', async () => {
    const table = new BlockTable();
    const cache = await start(table, 300);
    expect(await cache.blockedBy(actor, [ann])).toEqual(new Set());
    table.blocks.add(`${ann}:${actor}`);
    await waitUntil('the block is honoured', async () => (await cache.blockedBy(actor, [ann])).has(ann));
  });

  it('does not keep an answer fetched while the recipient’s blocks changed', async () => {
    const table = new BlockTable();
    const cache = await start(table);
    let open!: () => void;
    table.gate = new Promise((resolve) => (open = resolve));
    const asked = cache.blockedBy(actor, [ann]);
    await waitUntil('the lookup is under way', () => table.calls.length === 1);
    // The answer on its way says "not blocked"; meanwhile ann blocks the actor and the change is announced.
    table.blocks.add(`${ann}:${actor}`);
    cache.forget(ann);
    table.gate = undefined;
    open();
    expect(await asked).toEqual(new Set());
    // The stale answer was not kept: the next event asks again.
    expect(await cache.blockedBy(actor, [ann])).toEqual(new Set([ann]));
    expect(table.calls).toHaveLength(2);
  });

  it('asks once per actor for the questions of events handled at the same time', async () => {
    const table = new BlockTable();
    const cache = await start(table);
    const other = 1004n;
    table.blocks.add(`${ben}:${other}`);
    const answers = await Promise.all([
      cache.blockedBy(actor, [ann]),
      cache.blockedBy(actor, [ben]),
      cache.blockedBy(other, [ann, ben]),
    ]);
    expect(answers).toEqual([new Set(), new Set(), new Set([ben])]);
    expect(table.calls.map((c) => c.actorId).sort()).toEqual([actor, other]);
  });
});
