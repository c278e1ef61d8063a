import type { AddressInfo } from 'node:net';
import type { GraphQLError } from 'graphql';
import { handleProtocols, type SubscribePayload } from 'graphql-ws';
import WebSocket, { WebSocketServer } from 'ws';
import { userError } from '@chatgraph/errors';
import { LiveConnection, type LiveConnectionHooks } from '../src/ws/LiveConnection';
import { LiveSubscriber, type SubscriberStats } from '../src/subscriptions/LiveSubscriber';
import { preSerialized } from '../src/subscriptions/PreSerialized';

/** What the hooks saw, and how they answer: subscribes get a real LiveSubscriber unless `refuse` says otherwise. */
interface Harness {
  url: string;
  subscribers: Map<string, LiveSubscriber>;
  closedConnections: number;
  /** connection_init messages the server acted on. */
  connects: number;
  /** Set to make `connect` refuse (closing with 4403 through the connection) or to hold subscribes. */
  refuseConnect: boolean;
  holdSubscribe: Promise<void> | undefined;
  refuse: ((payload: SubscribePayload) => readonly GraphQLError[] | undefined) | undefined;
  stop(): Promise<void>;
}

const stats: SubscriberStats = {
  delivered: 0,
  duplicatesDropped: 0,
  gapsDetected: 0,
  backfilled: 0,
  slowConsumersClosed: 0,
};

async function harness(initWaitMs = 2000): Promise<Harness> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', handleProtocols });
  await new Promise((r) => wss.once('listening', r));
  const h: Harness = {
    url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`,
    subscribers: new Map(),
    closedConnections: 0,
    connects: 0,
    refuseConnect: false,
    holdSubscribe: undefined,
    refuse: undefined,
    stop: async () => {
      for (const s of wss.clients) s.terminate();
      await new Promise((r) => wss.close(r));
    },
  };
  const hooks: LiveConnectionHooks = {
    connect: async () => {
      h.connects++;
      return !h.refuseConnect;
    },
    subscribe: async (_connection, id, payload) => {
      if (h.holdSubscribe) await h.holdSubscribe;
      const refused = h.refuse?.(payload);
      if (refused) return refused;
      const subscriber = new LiveSubscriber({ viewerId: 'u1', queueLimit: 100, onEnd: () => undefined, stats });
      h.subscribers.set(id, subscriber);
      return subscriber;
    },
    closed: () => h.closedConnections++,
    debug: () => undefined,
  };
  wss.on('connection', (socket: WebSocket) => {
    const connection = new LiveConnection(socket, hooks, initWaitMs);
    socket.on('message', (data) => connection.receive(String(data)));
    socket.on('close', () => connection.onClose());
  });
  return h;
}

/** A raw client: every message it received, and its close code once closed. */
interface RawClient {
  socket: WebSocket;
  messages: Array<Record<string, unknown>>;
  closed: Promise<number>;
  send(message: object | string): void;
}

async function client(url: string, protocol: string | null = 'graphql-transport-ws'): Promise<RawClient> {
  const socket = protocol === null ? new WebSocket(url) : new WebSocket(url, protocol);
  const messages: Array<Record<string, unknown>> = [];
  socket.on('message', (data) => messages.push(JSON.parse(String(data)) as Record<string, unknown>));
  const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  return {
    socket,
    messages,
    closed,
    send: (message) => socket.send(typeof message === 'string' ? message : JSON.stringify(message)),
  };
}

async function waitFor(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function acknowledged(url: string): Promise<RawClient> {
  const c = await client(url);
  c.send({ type: 'connection_init', payload: { authorization: 'Bearer x' } });
  await waitFor(() => c.messages.some((m) => m.type === 'connection_ack'));
  return c;
}

const subscribe = (id: string) => ({ id, type: 'subscribe', payload: { query: 'subscription { x }' } });

describe('LiveConnection (graphql-transport-ws, server side)', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await harness();
  });
  afterEach(async () => {
    await h.stop();
  });

  it('closes with the protocol close codes a stock client understands', async () => {
    // No subprotocol asked for (a graphql-transport-ws server answers only that one).
    const wrongProtocol = await client(h.url, null);
    expect(await wrongProtocol.closed).toBe(4406);

    const garbage = await client(h.url);
    garbage.send('{"type":');
    expect(await garbage.closed).toBe(4400);

    const unknownType = await client(h.url);
    unknownType.send({ type: 'connection_init' });
    unknownType.send({ type: 'next', id: '1', payload: {} });
    expect(await unknownType.closed).toBe(4400);

    const early = await client(h.url);
    early.send(subscribe('1'));
    expect(await early.closed).toBe(4401);

    const twice = await acknowledged(h.url);
    twice.send({ type: 'connection_init' });
    expect(await twice.closed).toBe(4429);

    h.refuseConnect = true;
    const refused = await client(h.url);
    refused.send({ type: 'connection_init' });
    expect(await refused.closed).toBe(4403);
    expect(refused.messages).toEqual([]);
  });

  it('closes a socket whose frame cannot be answered (a ping nested too deep to echo) with 4400, and serves others', async () => {
    const other = await acknowledged(h.url);
    const deep = await client(h.url);
    deep.send(`{"type":"ping","payload":{"a":${'['.repeat(32_000)}${']'.repeat(32_000)}}}`);
    expect(await deep.closed).toBe(4400);
    other.send({ type: 'ping' });
    await waitFor(() => other.messages.some((m) => m.type === 'pong'));
    other.socket.close();
  });

  it('acts on nothing a socket sends once its close began, and cuts a close reason to what a frame carries', async () => {
    const wrongProtocol = await client(h.url, null);
    wrongProtocol.send({ type: 'connection_init' });
    expect(await wrongProtocol.closed).toBe(4406);
    expect(h.connects).toBe(0);

    const c = await acknowledged(h.url);
    const id = 'é'.repeat(100);
    c.send(subscribe(id));
    await waitFor(() => h.subscribers.has(id));
    let reason = '';
    c.socket.once('close', (_code, r) => (reason = String(r)));
    c.send(subscribe(id));
    expect(await c.closed).toBe(4409);
    expect(reason.startsWith('Subscriber for éé')).toBe(true);
    expect(Buffer.byteLength(reason)).toBeLessThanOrEqual(123);
  });

  it('closes a socket that sends no connection_init in time with 4408, and not one that did', async () => {
    await h.stop();
    h = await harness(150);
    const silent = await client(h.url);
    const prompt = await acknowledged(h.url);
    expect(await silent.closed).toBe(4408);
    await new Promise((r) => setTimeout(r, 300));
    expect(prompt.socket.readyState).toBe(WebSocket.OPEN);
    prompt.socket.close();
  });

  it('answers a ping with a pong carrying its payload', async () => {
    const c = await acknowledged(h.url);
    c.send({ type: 'ping', payload: { t: 1 } });
    c.send({ type: 'ping' });
    await waitFor(() => c.messages.filter((m) => m.type === 'pong').length === 2);
    expect(c.messages.filter((m) => m.type === 'pong')).toEqual([
      { type: 'pong', payload: { t: 1 } },
      { type: 'pong' },
    ]);
    c.socket.close();
  });

  it('sends events as next messages in order, then complete when the subscription ends', async () => {
    const c = await acknowledged(h.url);
    c.send(subscribe('a'));
    await waitFor(() => h.subscribers.has('a'));
    const sub = h.subscribers.get('a')!;
    // Let the connection start pulling, then deliver: the first events go straight to the socket.
    await new Promise((r) => setImmediate(r));
    for (let i = 1; i <= 5; i++)
      sub.deliver({ seq: undefined, payload: preSerialized(JSON.stringify({ data: { n: i } })) });
    sub.end();
    await waitFor(() => c.messages.some((m) => m.type === 'complete'));
    expect(c.messages.slice(1)).toEqual([
      ...[1, 2, 3, 4, 5].map((n) => ({ id: 'a', type: 'next', payload: { data: { n } } })),
      { id: 'a', type: 'complete' },
    ]);
    c.socket.close();
  });

  it('ends an operation with its error, extensions included, and lets the id be used again', async () => {
    const c = await acknowledged(h.url);
    c.send(subscribe('a'));
    await waitFor(() => h.subscribers.has('a'));
    h.subscribers.get('a')!.end(userError('FORBIDDEN', 'You are no longer a member of this chat.'));
    await waitFor(() => c.messages.some((m) => m.type === 'error'));
    expect(c.messages.at(-1)).toEqual({
      id: 'a',
      type: 'error',
      payload: [{ message: 'You are no longer a member of this chat.', extensions: { code: 'FORBIDDEN' } }],
    });

    h.refuse = () => [userError('BAD_USER_INPUT', 'No such chat.')];
    c.send(subscribe('a'));
    await waitFor(() => c.messages.filter((m) => m.type === 'error').length === 2);
    expect(c.messages.at(-1)).toEqual({
      id: 'a',
      type: 'error',
      payload: [{ message: 'No such chat.', extensions: { code: 'BAD_USER_INPUT' } }],
    });
    expect(c.socket.readyState).toBe(WebSocket.OPEN);
    c.socket.close();
  });

  it('closes with 4409 when a running id is subscribed again', async () => {
    const c = await acknowledged(h.url);
    c.send(subscribe('a'));
    await waitFor(() => h.subscribers.has('a'));
    c.send(subscribe('a'));
    expect(await c.closed).toBe(4409);
    await waitFor(() => h.subscribers.get('a')!.isEnded);
  });

  it('ends an operation the client completes, even while it is still being set up, and sends nothing for it', async () => {
    const c = await acknowledged(h.url);
    c.send(subscribe('a'));
    await waitFor(() => h.subscribers.has('a'));
    c.send({ id: 'a', type: 'complete' });
    await waitFor(() => h.subscribers.get('a')!.isEnded);

    let release!: () => void;
    h.holdSubscribe = new Promise<void>((r) => (release = r));
    c.send(subscribe('b'));
    await new Promise((r) => setTimeout(r, 20));
    c.send({ id: 'b', type: 'complete' });
    await new Promise((r) => setTimeout(r, 20));
    h.holdSubscribe = undefined;
    release();
    await waitFor(() => h.subscribers.has('b'));
    await waitFor(() => h.subscribers.get('b')!.isEnded);
    await new Promise((r) => setTimeout(r, 20));
    expect(c.messages.map((m) => m.type)).toEqual(['connection_ack']);
    c.socket.close();
  });

  it('ends every running operation when the socket closes, and tells the server once', async () => {
    const c = await acknowledged(h.url);
    for (const id of ['a', 'b', 'c']) c.send(subscribe(id));
    await waitFor(() => h.subscribers.size === 3);
    c.socket.terminate();
    await waitFor(() => [...h.subscribers.values()].every((s) => s.isEnded));
    await waitFor(() => h.closedConnections === 1);
  });

  it('paces events through the iterator while the socket is backed up, in order and none lost', async () => {
    const c = await acknowledged(h.url);
    // The client stops reading: the server's socket fills and direct writes are refused.
    c.socket.pause();
    c.send(subscribe('a'));
    await waitFor(() => h.subscribers.has('a'));
    await new Promise((r) => setImmediate(r));
    const sub = h.subscribers.get('a')!;
    const big = 'x'.repeat(64 * 1024);
    for (let i = 1; i <= 40; i++)
      sub.deliver({ seq: undefined, payload: preSerialized(JSON.stringify({ data: { n: i, big } })) });
    c.socket.resume();
    await waitFor(() => c.messages.filter((m) => m.type === 'next').length === 40, 15_000);
    const ns = c.messages.filter((m) => m.type === 'next').map((m) => (m.payload as { data: { n: number } }).data.n);
    expect(ns).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    c.socket.close();
  });
});
