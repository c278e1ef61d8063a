import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { classifyLiveError, type LiveFailure } from '../src/classifyLiveError.ts';
import type { LiveSink, LiveTransport } from '../src/LiveConnection.ts';
import { LiveStream } from '../src/LiveStream.ts';
import { NotificationsClient } from '../src/NotificationsClient.ts';
import type { Notification } from '../src/types.ts';
import { until } from './support/FakeLiveServer.ts';

const fast = { initialMs: 1, maxMs: 5 };

const notification = (seq: number): Notification => ({
  id: `n${seq}`,
  seq,
  kind: 'DIRECT_MESSAGE',
  createdAt: '2026-01-01T00:00:00.000Z',
  readAt: null,
  chat: { id: '1', title: null },
  message: { id: `m${seq}`, text: `message ${seq}` },
  actor: { id: '2', username: 'ann', displayName: 'Ann', createdAt: '2026-01-01T00:00:00.000Z', isBot: false },
});

/**
 * A stand-in for the gateway's `notificationAdded(afterId)` over an inbox: a subscription gets the inbox after the
 * notification `afterId` (replayed), then live ones; connections can drop. It also answers the HTTP side the client
 * asks (the newest notification).
 */
class FakeInbox implements LiveTransport {
  readonly inbox: Notification[] = [];
  readonly subscribedAfter: Array<string | null> = [];
  connected = false;
  private sinks: Array<LiveSink<{ notificationAdded: Notification }>> = [];
  private readonly listeners = new Set<() => void>();

  subscribe<TData, TVariables>(
    _doc: TypedDocumentNode<TData, TVariables>,
    variables: TVariables,
    sink: LiveSink<TData>,
  ) {
    const afterId = (variables as { afterId: string | null }).afterId;
    this.subscribedAfter.push(afterId);
    const typed = sink as LiveSink<unknown> as LiveSink<{ notificationAdded: Notification }>;
    this.sinks.push(typed);
    this.connected = true;
    for (const l of this.listeners) l();
    const after = afterId === null ? Infinity : this.inbox.find((n) => n.id === afterId)!.seq;
    for (const n of this.inbox) if (n.seq > after) typed.next({ data: { notificationAdded: n } });
    return () => (this.sinks = this.sinks.filter((s) => s !== typed));
  }

  onConnected(listener: () => void) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  classify(err: unknown): LiveFailure {
    return classifyLiveError(err, { wasAcknowledged: true, consecutiveRefusals: 0 });
  }

  add(seq: number, live = true): void {
    const n = notification(seq);
    this.inbox.push(n);
    if (live) for (const sink of this.sinks) sink.next({ data: { notificationAdded: n } });
  }

  drop(): void {
    this.connected = false;
    const sinks = this.sinks;
    this.sinks = [];
    for (const sink of sinks) sink.error({ code: 1006, reason: '' });
  }

  client(): NotificationsClient {
    return new NotificationsClient({
      // The only query live() makes over HTTP: the newest notification.
      field: async () => {
        const newest = this.inbox.at(-1);
        return { nodes: newest ? [{ id: newest.id, seq: newest.seq }] : [] } as never;
      },
      stream: (options, handlers) => new LiveStream({ ...options, transport: this, backoff: fast }, handlers),
    });
  }
}

describe('client.notifications.live', () => {
  it('starts after the newest notification and resumes after the last one delivered, by its id', async () => {
    const server = new FakeInbox();
    server.add(1);
    server.add(2);
    const seen: number[] = [];
    const stream = server.client().live({ next: (n) => seen.push(n.seq) });
    await until(() => server.subscribedAfter.length === 1, 'subscribed');
    expect(server.subscribedAfter).toEqual(['n2']);
    server.add(3);
    server.drop();
    server.add(4, false); // added while disconnected: only a replay can bring it
    await until(() => seen.includes(4), 'the missed notification');
    server.add(5);
    await until(() => seen.includes(5), 'the next live one');
    expect(server.subscribedAfter).toEqual(['n2', 'n3']);
    expect(seen).toEqual([3, 4, 5]);
    stream.close();
  });

  it('resumes after a notification the app kept (its id and seq)', async () => {
    const server = new FakeInbox();
    for (const seq of [1, 2, 3]) server.add(seq);
    const seen: number[] = [];
    const stream = server.client().live({ next: (n) => seen.push(n.seq) }, { after: { id: 'n1', seq: 1 } });
    await until(() => seen.length === 2, 'the two after n1');
    expect(server.subscribedAfter).toEqual(['n1']);
    expect(seen).toEqual([2, 3]);
    stream.close();
  });
});
