import { createLogger } from '@chatgraph/logging';
import { waitUntil } from '@chatgraph/testing';
import { Reannouncer, type Announcement } from '../src/Reannouncer';

/** A publish target that refuses while `down`, and records what it took. */
class Target {
  down = false;
  readonly took: Array<{ topic: string; payload: unknown }> = [];
  readonly publish = async (topic: string, payload: unknown): Promise<boolean> => {
    await new Promise((r) => setImmediate(r));
    if (this.down) return false;
    this.took.push({ topic, payload });
    return true;
  };
}

const logger = createLogger('reannouncer-test', 'silent');
const event = (chat: string, seq: number): Announcement => ({
  key: `chat:${chat}`,
  topic: `chat:${chat}`,
  order: seq,
  payload: { seq },
});

describe('Reannouncer', () => {
  it('publishes again the newest refused announcement of each key, once, when the target takes it again', async () => {
    const target = new Target();
    const r = new Reannouncer(target.publish, logger, { retryMs: 10 });
    target.down = true;
    expect(await r.announce(event('a', 1))).toBe(false);
    expect(await r.announce(event('a', 2))).toBe(false);
    expect(await r.announce(event('b', 7))).toBe(false);
    // an older one arriving late does not replace the newer one kept
    expect(await r.announce(event('a', 1))).toBe(false);
    expect(r.pending).toBe(2);
    target.down = false;
    await waitUntil('nothing is pending', () => r.pending === 0);
    expect(target.took).toEqual([
      { topic: 'chat:a', payload: { seq: 2 } },
      { topic: 'chat:b', payload: { seq: 7 } },
    ]);
    expect(r.stats).toEqual({ reannounced: 2, dropped: 0 });
    await r.close();
  });

  it('forgets a refused announcement once a newer one of its key got through on its own', async () => {
    const target = new Target();
    const r = new Reannouncer(target.publish, logger, { retryMs: 60_000 });
    target.down = true;
    await r.announce(event('a', 1));
    target.down = false;
    await r.announce(event('a', 2));
    expect(r.pending).toBe(0);
    expect(target.took).toEqual([{ topic: 'chat:a', payload: { seq: 2 } }]);
    await r.close();
  });

  it('keeps at most maxPending keys, dropping the oldest, and counts them', async () => {
    const target = new Target();
    const r = new Reannouncer(target.publish, logger, { retryMs: 60_000, maxPending: 2 });
    target.down = true;
    for (const chat of ['a', 'b', 'c']) await r.announce(event(chat, 1));
    expect(r.pending).toBe(2);
    expect(r.stats.dropped).toBe(1);
    // close() tries once more: the two kept (not the dropped oldest) go out
    target.down = false;
    await r.close();
    expect(target.took.map((t) => t.topic)).toEqual(['chat:b', 'chat:c']);
  });

  it('after close, refused announcements are not kept', async () => {
    const target = new Target();
    const r = new Reannouncer(target.publish, logger, { retryMs: 10 });
    await r.close();
    target.down = true;
    expect(await r.announce(event('a', 1))).toBe(false);
    expect(r.pending).toBe(0);
  });

  it("announces a batch through publishMany, keeps the refused ones, and retries them in batches (close's last round)", async () => {
    const target = new Target();
    const batches: string[][] = [];
    const publishMany = async (messages: readonly Announcement[]) => {
      batches.push(messages.map((m) => m.key));
      return Promise.all(messages.map((m) => target.publish(m.topic, m.payload)));
    };
    // No timed round: one could start between the refusal and the next batch on a slow machine (CI saw its batch of
    // b and a before b's own). The round that retries is close()'s last one, the same retryRound.
    const r = new Reannouncer(target.publish, logger, {
      retryMs: 60_000,
      publishMany: (messages) => publishMany(messages as readonly Announcement[]),
    });
    target.down = true;
    expect(await r.announceAll([event('a', 1), event('b', 1), event('a', 2)])).toEqual([false, false, false]);
    expect(r.pending).toBe(2);
    target.down = false;
    expect(await r.announceAll([event('b', 2)])).toEqual([true]);
    expect(r.pending).toBe(1);
    await r.close();
    await waitUntil('nothing is pending', () => r.pending === 0);
    expect(batches).toEqual([['chat:a', 'chat:b', 'chat:a'], ['chat:b'], ['chat:a']]);
    expect(target.took).toEqual([
      { topic: 'chat:b', payload: { seq: 2 } },
      { topic: 'chat:a', payload: { seq: 2 } },
    ]);
  });
});
