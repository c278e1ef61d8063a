import { ChatGraphError } from '../src/ChatGraphError.ts';
import { LiveEventIterable } from '../src/LiveEventIterable.ts';
import { LiveStream, type LiveHandlers, type StreamStatus } from '../src/LiveStream.ts';
import { SeqCursor } from '../src/SeqCursor.ts';
import { FakeLiveServer, until, type FakeEvent } from './support/FakeLiveServer.ts';

const fast = { initialMs: 1, maxMs: 5 };

/** A resumable stream on the fake server, recording what the caller would see. */
function open(server: FakeLiveServer, start: { afterSeq?: number; startFails?: ChatGraphError[] } = {}) {
  const seen: number[] = [];
  const statuses: StreamStatus[] = [];
  const errors: ChatGraphError[] = [];
  const startFailures = [...(start.startFails ?? [])];
  const handlers: LiveHandlers<FakeEvent> = {
    next: (e) => seen.push(e.seq),
    status: (s) => statuses.push(s),
    error: (e) => errors.push(e),
  };
  const stream = new LiveStream<FakeEvent>(
    {
      transport: server,
      operation: server.operation,
      backoff: fast,
      resume: {
        start: async () => {
          const failure = startFailures.shift();
          if (failure) throw failure;
          return start.afterSeq === undefined
            ? { afterSeq: server.lastSeq, isNewest: true }
            : { afterSeq: start.afterSeq, isNewest: false };
        },
        newest: async () => server.lastSeq,
        seqOf: (e) => e.seq,
      },
    },
    handlers,
  );
  return { stream, seen, statuses, errors };
}

describe('SeqCursor', () => {
  it('delivers only the next seq, drops what was delivered, reports holes without moving', () => {
    const cursor = new SeqCursor(5);
    expect([6, 6, 5, 8, 7, 8].map((seq) => cursor.accept(seq))).toEqual([
      'deliver',
      'duplicate',
      'duplicate',
      'gap',
      'deliver',
      'deliver',
    ]);
    expect(cursor.last).toBe(8);
    cursor.skipTo(3);
    expect(cursor.last).toBe(8);
    cursor.skipTo(12);
    expect(cursor.last).toBe(12);
  });

  it('refuses a resume point that is not a seq', () => {
    expect(() => new SeqCursor(-1)).toThrow(RangeError);
    expect(() => new SeqCursor(1.5)).toThrow(RangeError);
  });
});

describe('LiveStream (resumable)', () => {
  it('starts at the newest seq by default: live once connected, then every new event in order', async () => {
    const server = new FakeLiveServer();
    server.append('old 1');
    server.append('old 2');
    const { stream, seen, statuses } = open(server);
    await until(() => stream.status === 'live', 'live');
    expect(server.latest().afterSeq).toBe(2);
    for (let i = 0; i < 5; i++) server.append(`new ${i}`);
    expect(seen).toEqual([3, 4, 5, 6, 7]);
    expect(statuses).toEqual(['live']);
    stream.close();
    expect(statuses).toEqual(['live', 'closed']);
  });

  it('catches up from an older afterSeq: catching-up until the newest seq at subscribe time, then live', async () => {
    const server = new FakeLiveServer();
    server.autoConnect = false;
    for (let i = 0; i < 5; i++) server.append(`m${i}`);
    const { stream, seen, statuses } = open(server, { afterSeq: 1 });
    await until(() => server.subscriptions.length === 1, 'subscribe');
    expect(stream.status).toBe('connecting');
    server.connect();
    await until(() => stream.status === 'catching-up', 'catching-up');
    const sub = server.latest();
    for (const e of server.log.slice(1, 4)) sub.sink.next({ data: e });
    expect(stream.status).toBe('catching-up');
    sub.sink.next({ data: server.log[4]! });
    expect(stream.status).toBe('live');
    expect(seen).toEqual([2, 3, 4, 5]);
    expect(statuses).toEqual(['catching-up', 'live']);
    stream.close();
  });

  it('resumes after a dropped connection from the last delivered seq: nothing lost, nothing twice', async () => {
    const server = new FakeLiveServer();
    const { stream, seen, statuses } = open(server);
    await until(() => stream.status === 'live', 'live');
    server.append('a');
    server.append('b');
    server.drop();
    // Sent while the client is away: only in the log.
    server.appendLost('c');
    server.appendLost('d');
    await until(() => seen.length === 4, 'resume');
    expect(server.latest().afterSeq).toBe(2);
    server.append('e');
    expect(seen).toEqual([1, 2, 3, 4, 5]);
    expect(statuses).toEqual(['live', 'reconnecting', 'catching-up', 'live']);
    expect(stream.stats).toMatchObject({ delivered: 5, reconnects: 1, duplicatesDropped: 0 });
    stream.close();
  });

  it('drops duplicates when the server replays more than was missed (seq <= last delivered)', async () => {
    const server = new FakeLiveServer();
    const { stream, seen } = open(server, { afterSeq: 0 });
    await until(() => stream.status === 'live', 'live');
    server.append('1');
    server.append('2');
    server.resend(1);
    server.resend(2);
    server.append('3');
    // A misbehaving server that replays the whole log on every subscription:
    server.drop();
    const subscriptions = server.subscriptions.length;
    await until(() => server.subscriptions.length > subscriptions, 'resubscribe');
    server.latest().sink.next({ data: server.log[0]! });
    server.append('4');
    expect(seen).toEqual([1, 2, 3, 4]);
    expect(stream.stats.duplicatesDropped).toBe(3);
    stream.close();
  });

  it('never delivers past a hole: it resubscribes from the last delivered seq and gets the missing event first', async () => {
    const server = new FakeLiveServer();
    const { stream, seen } = open(server, { afterSeq: 0 });
    await until(() => stream.status === 'live', 'live');
    server.append('1');
    server.appendLost('2');
    server.append('3');
    await until(() => seen.length === 3, 'repair');
    expect(seen).toEqual([1, 2, 3]);
    expect(server.subscriptions.map((s) => s.afterSeq)).toEqual([0, 1]);
    expect(stream.stats.gapsResumed).toBe(1);
    stream.close();
  });

  it('accepts a hole only after resubscribing has not filled it several times in a row (no endless loop)', async () => {
    const server = new FakeLiveServer();
    const { stream, seen } = open(server, { afterSeq: 0 });
    await until(() => stream.status === 'live', 'live');
    server.append('1');
    server.appendLost('2', true);
    server.append('3');
    await until(() => seen.length === 2, 'give up on the hole');
    expect(seen).toEqual([1, 3]);
    expect(server.subscriptions.length).toBe(4);
    server.append('4');
    expect(seen).toEqual([1, 3, 4]);
    stream.close();
  });

  it.each(['SLOW_CONSUMER', 'SUBSCRIPTION_RESTART', 'SERVICE_UNAVAILABLE'])(
    'resubscribes with afterSeq after %s',
    async (code) => {
      const server = new FakeLiveServer();
      const { stream, seen, errors } = open(server, { afterSeq: 0 });
      await until(() => stream.status === 'live', 'live');
      server.append('1');
      server.fail(code);
      server.appendLost('2');
      await until(() => seen.length === 2, 'resume');
      expect(server.latest().afterSeq).toBe(1);
      expect(errors).toEqual([]);
      stream.close();
    },
  );

  it.each(['FORBIDDEN', 'NOT_FOUND', 'LIMIT_EXCEEDED', 'BAD_USER_INPUT'])(
    'ends with a ChatGraphError on %s and does not retry',
    async (code) => {
      const server = new FakeLiveServer();
      const { stream, errors, statuses } = open(server, { afterSeq: 0 });
      await until(() => stream.status === 'live', 'live');
      server.fail(code);
      await until(() => stream.status === 'closed', 'closed');
      expect(errors).toHaveLength(1);
      expect(errors[0]).toBeInstanceOf(ChatGraphError);
      expect(errors[0]!.code).toBe(code);
      expect(statuses[statuses.length - 1]).toBe('closed');
      await new Promise((r) => setTimeout(r, 20));
      expect(server.subscriptions).toHaveLength(1);
    },
  );

  it('resubscribes on a result without the event (a subgraph failed) and gets it from the replay', async () => {
    const server = new FakeLiveServer();
    const { stream, seen } = open(server, { afterSeq: 0 });
    await until(() => stream.status === 'live', 'live');
    server.appendLost('1');
    server
      .latest()
      .sink.next({ data: null, errors: [{ message: 'users is down', extensions: { code: 'SERVICE_UNAVAILABLE' } }] });
    await until(() => seen.length === 1, 'replayed');
    expect(seen).toEqual([1]);
    stream.close();
  });

  it('retries a start point that failed for a transient reason, and gives up on a lasting one', async () => {
    const server = new FakeLiveServer();
    const ok = open(server, {
      startFails: [new ChatGraphError('NETWORK_ERROR', 'down'), new ChatGraphError('SERVICE_UNAVAILABLE', 'down')],
    });
    await until(() => ok.stream.status === 'live', 'live');
    expect(ok.errors).toEqual([]);
    ok.stream.close();

    const denied = open(server, { startFails: [new ChatGraphError('FORBIDDEN', 'not a member')] });
    await until(() => denied.stream.status === 'closed', 'closed');
    expect(denied.errors.map((e) => e.code)).toEqual(['FORBIDDEN']);
  });

  it('close() unsubscribes, stops reconnecting and delivers nothing more', async () => {
    const server = new FakeLiveServer();
    const { stream, seen } = open(server, { afterSeq: 0 });
    await until(() => stream.status === 'live', 'live');
    server.drop();
    stream.close();
    await new Promise((r) => setTimeout(r, 20));
    server.append('late');
    expect(seen).toEqual([]);
    expect(server.active()).toEqual([]);
    expect(server.subscriptions).toHaveLength(1);
    expect(stream.status).toBe('closed');
  });

  it('does not run callbacks before the constructor has returned', () => {
    const server = new FakeLiveServer();
    const calls: string[] = [];
    const stream = new LiveStream<FakeEvent>(
      { transport: server, operation: server.operation },
      { next: () => calls.push('next'), status: (s) => calls.push(s) },
    );
    expect(calls).toEqual([]);
    stream.close();
  });
});

describe('LiveEventIterable', () => {
  it('yields every event in order to a for-await loop, across a drop, and ends the loop on break', async () => {
    const server = new FakeLiveServer();
    const iterable = new LiveEventIterable<FakeEvent>(
      (handlers) =>
        new LiveStream<FakeEvent>(
          {
            transport: server,
            operation: server.operation,
            backoff: fast,
            resume: {
              start: async () => ({ afterSeq: 0, isNewest: false }),
              newest: async () => server.lastSeq,
              seqOf: (e) => e.seq,
            },
          },
          handlers,
        ),
    );
    server.append('1');
    server.append('2');
    const received: number[] = [];
    let dropped = false;
    for await (const event of iterable) {
      received.push(event.seq);
      if (event.seq === 2 && !dropped) {
        dropped = true;
        server.drop();
        server.appendLost('3');
        server.appendLost('4');
      }
      if (event.seq === 4) break;
    }
    expect(received).toEqual([1, 2, 3, 4]);
    expect(iterable.status).toBe('closed');
    expect(server.active()).toEqual([]);
  });

  it('throws the error that ended the stream from the loop, after the events before it', async () => {
    const server = new FakeLiveServer();
    const iterable = new LiveEventIterable<FakeEvent>(
      (handlers) =>
        new LiveStream<FakeEvent>(
          {
            transport: server,
            operation: server.operation,
            resume: {
              start: async () => ({ afterSeq: 0, isNewest: false }),
              newest: async () => server.lastSeq,
              seqOf: (e) => e.seq,
            },
          },
          handlers,
        ),
    );
    await until(() => iterable.status === 'live', 'live');
    server.append('1');
    server.fail('FORBIDDEN');
    const received: number[] = [];
    await expect(
      (async () => {
        for await (const event of iterable) received.push(event.seq);
      })(),
    ).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(received).toEqual([1]);
  });

  it('ends a waiting loop quietly when closed', async () => {
    const server = new FakeLiveServer();
    const iterable = new LiveEventIterable<FakeEvent>(
      (handlers) => new LiveStream<FakeEvent>({ transport: server, operation: server.operation }, handlers),
    );
    const loop = (async () => {
      const got: FakeEvent[] = [];
      for await (const e of iterable) got.push(e);
      return got;
    })();
    await until(() => iterable.status === 'live', 'live');
    server.append('x');
    iterable.close();
    expect(await loop).toEqual([{ seq: 1, text: 'x' }]);
  });
});

describe('LiveStream (not resumable)', () => {
  it('reconnects after drops and delivers what arrives live (nothing is replayed)', async () => {
    const server = new FakeLiveServer();
    server.replay = false;
    const seen: number[] = [];
    const stream = new LiveStream<FakeEvent>(
      { transport: server, operation: server.operation, backoff: fast },
      { next: (e) => seen.push(e.seq) },
    );
    await until(() => stream.status === 'live', 'live');
    server.append('1');
    server.drop();
    await until(() => server.subscriptions.length === 2 && stream.status === 'live', 'live again');
    server.append('2');
    expect(seen).toEqual([1, 2]);
    expect(server.subscriptions.map((s) => s.afterSeq)).toEqual([null, null]);
    expect(stream.lastSeq).toBeNull();
    stream.close();
  });
});
