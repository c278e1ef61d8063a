import {
  LiveSubscriber,
  type Delivery,
  type ReplayPage,
  type SubscriberStats,
} from '../src/subscriptions/LiveSubscriber';
import { preSerialized, serializedJson } from '../src/subscriptions/PreSerialized';

const event = (seq: number): Delivery => ({ seq, payload: preSerialized(JSON.stringify({ seq })) });
const stats = (): SubscriberStats => ({
  delivered: 0,
  duplicatesDropped: 0,
  gapsDetected: 0,
  backfilled: 0,
  slowConsumersClosed: 0,
});

/** A log of events 1..n that a replay reads from a page at a time, like the chat event log. */
function logOf(n: number, pageSize = 100) {
  const log = Array.from({ length: n }, (_, i) => event(i + 1));
  const calls: number[] = [];
  return {
    log,
    calls,
    replay: async (after: number): Promise<ReplayPage> => {
      calls.push(after);
      await new Promise((r) => setTimeout(r, 5));
      const deliveries = log.filter((d) => d.seq! > after).slice(0, pageSize);
      return { deliveries, complete: deliveries.length < pageSize };
    },
  };
}

async function take(sub: LiveSubscriber, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const r = await sub.next();
    if (r.done) break;
    out.push(JSON.parse(serializedJson(r.value)!).seq);
  }
  return out;
}

describe('LiveSubscriber ordering (exactly once, in order)', () => {
  it('backfills from the resume point, holds live events meanwhile, drops duplicates', async () => {
    const { log, replay } = logOf(5);
    const s = stats();
    const sub = new LiveSubscriber({ viewerId: '1', queueLimit: 100, afterSeq: 2, replay, onEnd: () => {}, stats: s });
    sub.start();
    // live events arrive while the backfill is running: 4 and 5 are also in the log, 6 is new
    sub.deliver(log[3]!);
    sub.deliver(log[4]!);
    log.push(event(6));
    sub.deliver(event(6));
    expect(await take(sub, 4)).toEqual([3, 4, 5, 6]);
    // 6 reached the log before the backfill read it, so all three live copies are duplicates
    expect(s.duplicatesDropped).toBe(3);
  });

  it('repairs a gap from the log when a live event jumps ahead', async () => {
    const { log, replay, calls } = logOf(3);
    const s = stats();
    const sub = new LiveSubscriber({ viewerId: '1', queueLimit: 100, afterSeq: 0, replay, onEnd: () => {}, stats: s });
    sub.start();
    expect(await take(sub, 3)).toEqual([1, 2, 3]);
    // 4 was committed but its publish was lost; 5 arrives live
    log.push(event(4), event(5));
    sub.deliver(log[4]!);
    expect(await take(sub, 2)).toEqual([4, 5]);
    expect(s.gapsDetected).toBe(1);
    expect(calls).toEqual([0, 3]);
  });

  it('without a resume point starts at the first live event', async () => {
    const { replay, calls } = logOf(0);
    const sub = new LiveSubscriber({ viewerId: '1', queueLimit: 100, replay, onEnd: () => {}, stats: stats() });
    sub.start();
    sub.deliver(event(7));
    sub.deliver(event(8));
    sub.deliver(event(8));
    expect(await take(sub, 2)).toEqual([7, 8]);
    expect(calls).toEqual([]);
  });

  it('closes a slow consumer with SLOW_CONSUMER instead of buffering without bound', async () => {
    const s = stats();
    let ended = 0;
    const sub = new LiveSubscriber({ viewerId: '1', queueLimit: 3, onEnd: () => ended++, stats: s });
    for (let i = 1; i <= 5; i++) sub.deliver(event(i));
    await expect(sub.next()).rejects.toMatchObject({ extensions: { code: 'SLOW_CONSUMER' } });
    expect(ended).toBe(1);
    expect(s.slowConsumersClosed).toBe(1);
  });

  it('ends with a FORBIDDEN error after the queued events when the backfill is refused', async () => {
    const { userError } = await import('@chatgraph/errors');
    const sub = new LiveSubscriber({
      viewerId: '1',
      queueLimit: 10,
      afterSeq: 0,
      replay: async () => {
        throw userError('FORBIDDEN', 'not a member');
      },
      onEnd: () => {},
      stats: stats(),
    });
    sub.start();
    await expect(sub.next()).rejects.toMatchObject({ extensions: { code: 'FORBIDDEN' } });
  });

  it('catches up from any distance at the speed the client reads: a page at a time, never SLOW_CONSUMER', async () => {
    // 5,000 events behind with a queue of 100: the whole backlog would overflow the queue fifty times over.
    const { log, replay, calls } = logOf(5000, 50);
    const s = stats();
    const sub = new LiveSubscriber({ viewerId: '1', queueLimit: 100, afterSeq: 0, replay, onEnd: () => {}, stats: s });
    sub.start();
    // Live events keep arriving while the client is far behind (more than the queue holds): the log has them too.
    let live = 5000;
    const timer = setInterval(() => {
      log.push(event(++live));
      sub.deliver(log[live - 1]!);
    }, 1);
    try {
      const seqs = await take(sub, 5300);
      expect(seqs).toEqual(Array.from({ length: 5300 }, (_, i) => i + 1));
    } finally {
      clearInterval(timer);
    }
    expect(s.slowConsumersClosed).toBe(0);
    // Paged: the first read was from the resume point, and each page started where the previous one ended.
    expect(calls[0]).toBe(0);
    expect(calls.slice(0, 100).every((after, i) => i === 0 || after > calls[i - 1]!)).toBe(true);
  });

  it('reads the next page only once the client has taken most of the previous one', async () => {
    const { replay, calls } = logOf(1000, 40);
    const sub = new LiveSubscriber({
      viewerId: '1',
      queueLimit: 100,
      afterSeq: 0,
      replay,
      onEnd: () => {},
      stats: stats(),
    });
    sub.start();
    // Without reading, the backfill fills the queue past its low-water mark (25) and waits.
    await until(() => calls.length === 1);
    await new Promise((r) => setTimeout(r, 50));
    expect(calls).toEqual([0]);
    expect(await take(sub, 15)).toHaveLength(15);
    // 25 left: at the low-water mark, so the next page is read.
    await until(() => calls.length === 2);
    expect(calls).toEqual([0, 40]);
  });

  it('return() ends the iterator and calls onEnd once', async () => {
    let ended = 0;
    const sub = new LiveSubscriber({ viewerId: '1', queueLimit: 10, onEnd: () => ended++, stats: stats() });
    const pending = sub.next();
    await sub.return();
    expect(await pending).toEqual({ value: undefined, done: true });
    sub.end();
    expect(ended).toBe(1);
  });
});

describe('LiveSubscriber direct writes (the fan-out path)', () => {
  /**
   * A socket as the WebSocket layer sees it: the consumer (like graphql-ws) pulls from the iterator and sends each
   * result with an asynchronous send; the writer writes directly unless told the socket is backed up. Both land in
   * one `wire`, in the order the client would read them.
   */
  function socketFor(sub: LiveSubscriber, sendMs: number | 'never' = 2) {
    const wire: Array<{ seq: number; via: 'direct' | 'iterator' }> = [];
    const state = { backedUp: false, done: false, error: undefined as unknown };
    const seqOf = (p: unknown) => JSON.parse(serializedJson(p)!).seq as number;
    sub.writeDirectly({
      write: (payload) => {
        if (state.backedUp) return false;
        wire.push({ seq: seqOf(payload), via: 'direct' });
        return true;
      },
    });
    const consumed = (async () => {
      try {
        for await (const payload of sub) {
          // 'never': a client that stopped reading (the send's callback never comes).
          await new Promise((r) => (sendMs === 'never' ? undefined : setTimeout(r, sendMs)));
          wire.push({ seq: seqOf(payload), via: 'iterator' });
        }
      } catch (err) {
        state.error = err;
      }
      state.done = true;
    })();
    return { wire, state, consumed };
  }

  it('writes live events directly while the consumer waits, and queues behind a backed-up socket in order', async () => {
    const s = stats();
    const sub = new LiveSubscriber({
      viewerId: '1',
      queueLimit: 100,
      afterSeq: 0,
      replay: logOf(0).replay,
      onEnd: () => {},
      stats: s,
    });
    const { wire, state } = socketFor(sub);
    await until(() => (sub as unknown as { waiting?: unknown }).waiting !== undefined);
    for (let i = 1; i <= 3; i++) sub.deliver(event(i));
    expect(wire).toEqual([1, 2, 3].map((seq) => ({ seq, via: 'direct' })));
    // The socket backs up: the next events go through the iterator (paced by its sends), in order.
    state.backedUp = true;
    for (let i = 4; i <= 6; i++) sub.deliver(event(i));
    // It drains while 5 and 6 are still queued: they must not be overtaken by a direct write of 7.
    state.backedUp = false;
    sub.deliver(event(7));
    await until(() => wire.length === 7);
    expect(wire.map((w) => w.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(wire.slice(3).every((w) => w.via === 'iterator')).toBe(true);
    // Once the consumer has sent everything and waits again, events go direct again.
    await until(() => (sub as unknown as { waiting?: unknown }).waiting !== undefined);
    sub.deliver(event(8));
    expect(wire[7]).toEqual({ seq: 8, via: 'direct' });
    expect(s.delivered).toBe(8);
    await sub.return();
  });

  it('paces a backfill through the iterator and writes directly once caught up', async () => {
    const { log, replay } = logOf(30, 10);
    const sub = new LiveSubscriber({
      viewerId: '1',
      queueLimit: 12,
      afterSeq: 0,
      replay,
      onEnd: () => {},
      stats: stats(),
    });
    const { wire, state } = socketFor(sub, 1);
    sub.start();
    await until(() => wire.length === 30);
    expect(wire.every((w) => w.via === 'iterator')).toBe(true);
    await until(() => (sub as unknown as { repairing: boolean }).repairing === false);
    await until(() => (sub as unknown as { waiting?: unknown }).waiting !== undefined);
    log.push(event(31));
    sub.deliver(log[30]!);
    expect(wire.map((w) => w.seq)).toEqual(Array.from({ length: 31 }, (_, i) => i + 1));
    expect(wire[30]!.via).toBe('direct');
    expect(state.error).toBeUndefined();
    await sub.return();
  });

  it('still ends through the iterator, after every event written directly', async () => {
    const { userError } = await import('@chatgraph/errors');
    const sub = new LiveSubscriber({ viewerId: '1', queueLimit: 10, onEnd: () => {}, stats: stats() });
    const { wire, state, consumed } = socketFor(sub);
    await until(() => (sub as unknown as { waiting?: unknown }).waiting !== undefined);
    sub.deliver(event(1));
    sub.end(userError('FORBIDDEN', 'removed from the chat'));
    // An event after the end is dropped, whichever path it would have taken.
    sub.deliver(event(2));
    await consumed;
    expect(wire).toEqual([{ seq: 1, via: 'direct' }]);
    expect(state.error).toMatchObject({ extensions: { code: 'FORBIDDEN' } });
  });

  it('a consumer that stops reading is still closed with SLOW_CONSUMER once its socket backs up', async () => {
    const s = stats();
    const sub = new LiveSubscriber({ viewerId: '1', queueLimit: 5, onEnd: () => {}, stats: s });
    const { wire, state } = socketFor(sub, 'never');
    await until(() => (sub as unknown as { waiting?: unknown }).waiting !== undefined);
    sub.deliver(event(1));
    state.backedUp = true;
    // The first queued event is handed to the consumer, whose send never finishes; then the queue fills.
    for (let i = 2; i <= 8; i++) sub.deliver(event(i));
    expect(s.slowConsumersClosed).toBe(1);
    expect(sub.isEnded).toBe(true);
    expect(wire).toEqual([{ seq: 1, via: 'direct' }]);
  });
});

async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 5));
  }
}
